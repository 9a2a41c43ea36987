"""Outcome ranges (SPEC section 10): the Monte Carlo runs against closed forms, the scenario and
catalog keys that drive them, and where they show (Result, JSON, table view, compare).

Sampling checks use the standard error of the estimate from closed-form variances, with a bound
of 4 standard errors: the draws are seeded, so each check passes or fails for good.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
import optimizer.simulate as simulation
from instances import influencer, make_catalog, make_scenario
from models import CatalogError, ScenarioError
from optimizer import compare, solve
from optimizer.simulate import plan_outcomes, simulate
from reports.outcomes import outcome_figure
from reports.tables import comparison_view, result_view

SIGMAS = 4
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# E = followers x engagement_rate per post; audience = followers (authenticity 1).
ROWS = [
    influencer("a", 10_000, 0.05, 100, max_posts=3, engagement_sd=0.6, delivery=0.7, aud_s1=0.5),
    influencer("b", 40_000, 0.02, 200, max_posts=2, engagement_sd=0.2, delivery=0.95, aud_s1=0.2),
    influencer("c", 5_000, 0.08, 50, max_posts=1, engagement_sd=None, delivery=None, aud_s1=0.9),
    influencer("d", 80_000, 0.01, 400, max_posts=4, engagement_sd=1.0, delivery=0.5, aud_s1=0.1),
]
POSTS = np.array([3, 2, 1, 4])
DEFAULT_SD, DEFAULT_DELIVERY = 0.4, 0.8


def catalog(rows=ROWS):
    return make_catalog(pd.DataFrame(rows))


def scenario(**simulation_keys):
    return make_scenario(budget={"max": 10_000}, coverage={"s1": {"min_reach": 20_000}},
                         targets={"engagements": 1_500, "reach": 100_000},
                         simulation={"engagement_sd": DEFAULT_SD, "delivery": DEFAULT_DELIVERY, **simulation_keys})


def moments():
    """Per creator: E_i, x_i, s_i, d_i, A_i, A_i1 (catalog values, scenario defaults where empty)."""
    per_post = np.array([500.0, 800.0, 400.0, 800.0])
    sd = np.array([0.6, 0.2, DEFAULT_SD, 1.0])
    delivery = np.array([0.7, 0.95, DEFAULT_DELIVERY, 0.5])
    audience = np.array([10_000.0, 40_000, 5_000, 80_000])
    return per_post, POSTS, sd, delivery, audience, audience * np.array([0.5, 0.2, 0.9, 0.1])


def check_mean(estimate: float, mean: float, variance: float, runs: int) -> None:
    error = math.sqrt(variance / runs)
    assert abs(estimate - mean) <= SIGMAS * error, (estimate, mean, error)


# --- the runs against closed forms ------------------------------------------------------------------


def test_mean_matches_the_closed_form_within_sampling_error():
    runs = 20_000
    outcomes = plan_outcomes(catalog(), scenario(runs=runs), POSTS)
    per_post, posts, sd, delivery, audience, segment = moments()
    # engagements of creator i: D_i * E_i * S_i, S_i a sum of x_i lognormal factors of mean 1
    mean = delivery * per_post * posts
    second = delivery * per_post ** 2 * (posts * (np.exp(sd ** 2) - 1) + posts ** 2)
    check_mean(outcomes.engagements.mean, mean.sum(), (second - mean ** 2).sum(), runs)
    check_mean(outcomes.reach.mean, (delivery * audience).sum(), (delivery * (1 - delivery) * audience ** 2).sum(),
               runs)
    check_mean(outcomes.coverage["s1"].mean, (delivery * segment).sum(),
               (delivery * (1 - delivery) * segment ** 2).sum(), runs)


def one_creator(sd: float, delivery: float, runs: int, floor: float | None = None):
    rows = [influencer("solo", 10_000, 0.05, 100, engagement_sd=sd, delivery=delivery)]
    targets = {"engagements": floor} if floor is not None else {}
    return plan_outcomes(make_catalog(rows), make_scenario(budget={"max": 100}, targets=targets,
                                                           simulation={"runs": runs}), np.array([1]))


@pytest.mark.parametrize("delivery", [1.0, 0.6])
def test_quantiles_of_one_post_match_the_lognormal(delivery):
    runs, sd, per_post = 40_000, 0.5, 500.0
    outcomes = one_creator(sd, delivery, runs)
    normal = NormalDist()
    for q, estimate in ((0.1, outcomes.engagements.p10), (0.5, outcomes.engagements.p50),
                        (0.9, outcomes.engagements.p90)):
        # no delivery with probability 1 - d: the q-quantile is the lognormal's (q - (1 - d)) / d quantile, or 0
        inner = (q - (1 - delivery)) / delivery
        if inner <= 0:
            assert estimate == 0
            continue
        z = normal.inv_cdf(inner)
        exact = per_post * math.exp(sd * z - sd ** 2 / 2)
        density = delivery * normal.pdf(z) / (exact * sd)          # of the mixture at its q-quantile
        error = math.sqrt(q * (1 - q) / runs) / density          # asymptotic sd of a sample quantile
        assert abs(estimate - exact) <= SIGMAS * error, (q, estimate, exact, error)


def test_chance_of_a_floor_is_the_lognormal_tail():
    runs, sd, delivery, floor = 20_000, 0.5, 0.9, 600.0
    chance = one_creator(sd, delivery, runs, floor).floors[0]
    exact = delivery * (1 - NormalDist().cdf((math.log(floor / 500) + sd ** 2 / 2) / sd))
    assert chance.name == "targets.engagements" and chance.target == floor
    check_mean(chance.chance, exact, exact * (1 - exact), runs)


def test_same_seed_same_numbers_and_another_seed_other_numbers():
    first = plan_outcomes(catalog(), scenario(seed=7), POSTS)
    assert plan_outcomes(catalog(), scenario(seed=7), POSTS) == first
    assert plan_outcomes(catalog(), scenario(seed=8), POSTS).engagements != first.engagements


def test_with_delivery_one_reach_is_the_gross_reach_and_floors_are_certain():
    rows = [{**row, "delivery": 1.0} for row in ROWS]
    spec = make_scenario(budget={"max": 10_000}, coverage={"s1": {"min_reach": 20_000}},
                         targets={"reach": 135_000})           # the whole catalog's reach: met exactly
    result = solve(catalog(rows), spec)
    outcomes, reach = result.outcomes, result.totals.reach
    assert reach == 135_000
    for value in (outcomes.reach.p10, outcomes.reach.p50, outcomes.reach.p90, outcomes.reach.mean):
        assert value == pytest.approx(reach, rel=1e-12)
    achieved = next(row.achieved for row in result.coverage if row.segment == "s1")
    assert outcomes.coverage["s1"].p10 == pytest.approx(achieved, rel=1e-12)
    assert [(floor.name, floor.chance) for floor in outcomes.floors] == [
        ("targets.reach", 1.0), ("coverage.s1.min_reach", 1.0)]


def test_without_spread_every_run_is_the_expected_plan():
    rows = [{**row, "engagement_sd": 0.0, "delivery": 1.0} for row in ROWS]
    outcomes = plan_outcomes(catalog(rows), scenario(), POSTS)
    expected = float((moments()[0] * POSTS).sum())
    assert outcomes.engagements.p10 == pytest.approx(expected, rel=1e-12)
    assert outcomes.engagements.p90 == pytest.approx(expected, rel=1e-12)


def test_catalog_cells_override_the_scenario_defaults():
    """c's empty cells take the scenario's defaults; filled, they would change its draws."""
    filled = [{**row, "engagement_sd": 0.4, "delivery": 0.8} if row["id"] == "c" else row for row in ROWS]
    assert plan_outcomes(catalog(filled), scenario(), POSTS) == plan_outcomes(catalog(), scenario(), POSTS)
    other = [{**row, "delivery": 0.3} if row["id"] == "c" else row for row in filled]
    assert plan_outcomes(catalog(other), scenario(), POSTS) != plan_outcomes(catalog(), scenario(), POSTS)


def test_an_empty_plan_delivers_nothing():
    outcomes = plan_outcomes(catalog(), scenario(), np.zeros(4, dtype=np.int64))
    assert outcomes.engagements.p90 == 0 and outcomes.reach.mean == 0
    assert all(floor.chance == 0 for floor in outcomes.floors)


def test_runs_are_drawn_in_blocks_without_changing_their_law(monkeypatch):
    """A small block size gives other draws of the same distribution, the same for the same seed."""
    per_post, posts, sd, delivery, audience, _ = moments()
    args = (posts, per_post, sd, delivery, audience[:, None])
    whole = simulate(*args, runs=5_000, seed=3)
    monkeypatch.setattr(simulation, "BLOCK_CELLS", 4 * 333)
    blocks = simulate(*args, runs=5_000, seed=3)
    assert blocks.engagements.shape == (5_000,) and blocks.reach.shape == (5_000, 1)
    assert np.array_equal(blocks.engagements, simulate(*args, runs=5_000, seed=3).engagements)
    variance = np.var(whole.engagements)
    check_mean(blocks.engagements.mean(), whole.engagements.mean(), 2 * variance, 5_000)


def test_reach_aggregation_is_pluggable():
    """Unique reach (SPEC section 8) plugs in as an aggregate: N (1 - prod over deliverers (1 - r_i / N))."""
    per_post, posts, sd, delivery, audience, _ = moments()
    population, seen = 1_000_000.0, {}

    def unique(delivered, contributions):
        seen.update(delivered=delivered, contributions=contributions)
        return population * -np.expm1(delivered @ np.log1p(-contributions / population))

    gross = simulate(posts, per_post, sd, delivery, audience[:, None], runs=500, seed=1)
    runs = simulate(posts, per_post, sd, delivery, audience[:, None], runs=500, seed=1, aggregate=unique)
    delivered, contributions = seen["delivered"], seen["contributions"][:, 0]
    assert np.array_equal(runs.engagements, gross.engagements)          # the same draws
    assert set(np.unique(delivered)) == {0.0, 1.0} and sorted(contributions) == sorted(audience)
    assert np.allclose(gross.reach[:, 0], delivered @ contributions, rtol=1e-12)
    kept = np.where(delivered == 1, 1 - contributions / population, 1.0)
    assert np.allclose(runs.reach[:, 0], population * (1 - kept.prod(axis=1)), rtol=1e-9)


def test_an_impressions_floor_has_its_chance():
    """targets.impressions is a floor (SPEC 8) and every floor has the share of runs that meet it (SPEC 10).
    Impressions A_i v_i x_i with v = 0.5: a 15,000, b 40,000, c 2,500, d 160,000; 170,000 needs d and
    a or b: chance 0.5 x (1 - 0.3 x 0.05)."""
    spec = make_scenario(budget={"max": 10_000}, targets={"impressions": 170_000},
                         audience={"population": 1_000_000, "view_rate": {"default": 0.5}},
                         simulation={"runs": 20_000, "delivery": DEFAULT_DELIVERY})
    outcomes = plan_outcomes(catalog(), spec, POSTS)
    (floor,) = outcomes.floors
    expected = 0.5 * (1 - 0.3 * 0.05)
    assert floor.name == "targets.impressions" and floor.target == 170_000
    assert abs(floor.chance - expected) <= SIGMAS * math.sqrt(expected * (1 - expected) / 20_000)
    without = plan_outcomes(catalog(), spec.override({"targets.impressions": None}), POSTS)
    assert outcomes.engagements == without.engagements and outcomes.reach == without.reach   # the same draws


# --- on and off ------------------------------------------------------------------------------------


def test_runs_zero_turns_the_simulation_off():
    result = solve(catalog(), scenario(runs=0))
    assert result.outcomes is None
    assert json.loads(result.to_json())["outcomes"] is None


def test_a_large_plan_is_skipped_by_default_with_a_note(monkeypatch):
    monkeypatch.setattr(simulation, "DEFAULT_DRAW_LIMIT", 100)
    spec = make_scenario(budget={"max": 10_000})
    with pytest.warns(UserWarning, match="outcome ranges skipped"):
        skipped = plan_outcomes(catalog(), spec, POSTS)
    assert skipped.runs == 0 and skipped.engagements is None and "set [simulation] runs" in skipped.skipped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asked = plan_outcomes(catalog(), make_scenario(budget={"max": 10_000}, simulation={"runs": 2000}), POSTS)
    assert asked.runs == 2000 and asked.skipped is None
    with pytest.warns(UserWarning, match="outcome ranges skipped"):
        result = solve(catalog(), spec)
    assert json.loads(result.to_json())["outcomes"]["skipped"] == skipped.skipped
    assert "Outcome ranges skipped: 2,000 runs on 4 creators and 10 posts" in render(result_view(result, 200))


def test_an_infeasible_scenario_has_no_outcomes():
    result = solve(catalog(), make_scenario(budget={"max": 10_000}, targets={"reach": 10**7}), diagnose=False)
    assert result.status == "infeasible" and result.outcomes is None


# --- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("keys", "message"), [
    ({"runs": -1}, "key simulation.runs: must be at least 0, got -1"),
    ({"runs": 2.5}, "key simulation.runs: must be a whole number, got 2.5"),
    ({"runs": True}, "key simulation.runs: must be a whole number, got true"),
    ({"runs": 10**7}, "key simulation.runs: must be at most 1000000, got 10000000"),
    ({"seed": -3}, "key simulation.seed: must be at least 0, got -3"),
    ({"engagement_sd": -0.1}, "key simulation.engagement_sd: must be at least 0, got -0.1"),
    ({"delivery": 0}, "key simulation.delivery: must be greater than 0, got 0"),
    ({"delivery": 1.5}, "key simulation.delivery: must be at most 1, got 1.5"),
    ({"run": 10}, "key simulation.run: unknown key; did you mean 'runs'?"),
])
def test_simulation_keys_are_validated(keys, message):
    with pytest.raises(ScenarioError) as error:
        make_scenario(simulation=keys)
    assert error.value.problems == [message]


@pytest.mark.parametrize(("column", "cell", "message"), [
    ("engagement_sd", "-0.2", "column engagement_sd: -0.2 is negative; engagement_sd must be at least 0"),
    ("engagement_sd", "abc", "column engagement_sd: 'abc' is not a number"),
    ("delivery", "0", "column delivery: delivery must be greater than 0, got 0"),
    ("delivery", "-1", "column delivery: -1 is negative; delivery must be greater than 0"),
    ("delivery", "120", "column delivery: 120 is above 100 percent"),  # any value above 1: a percent column
    ("delivery", "nan", "column delivery: nan is not a finite number"),
])
def test_simulation_columns_are_validated(column, cell, message):
    rows = [{**row, column: str(row[column]) if row[column] is not None else ""} for row in ROWS]
    rows[1][column] = cell
    with pytest.raises(CatalogError) as error:
        catalog(rows)
    assert [str(problem) for problem in error.value.problems] == [f"row 2 (id 'b'), {message}"]


def test_empty_simulation_cells_are_kept_empty_and_absent_columns_stay_absent():
    frame = catalog().frame
    assert np.isnan(frame.loc[2, "engagement_sd"]) and frame.loc[0, "delivery"] == 0.7
    plain = catalog([{k: v for k, v in row.items() if k not in ("engagement_sd", "delivery")} for row in ROWS])
    assert "delivery" not in plain.frame.columns


# --- where the outcomes show -------------------------------------------------------------------------


def test_json_carries_the_outcomes():
    document = json.loads(solve(catalog(), scenario()).to_json())
    assert document["schema_version"] == 2
    outcomes = document["outcomes"]
    assert set(outcomes["engagements"]) == {"mean", "p10", "p50", "p90"}
    assert list(outcomes["coverage"]) == ["s1"]
    assert [floor["name"] for floor in outcomes["floors"]] == [
        "targets.engagements", "targets.reach", "coverage.s1.min_reach"]
    assert all(0 <= floor["chance"] <= 1 for floor in outcomes["floors"])


def test_a_scenario_without_simulation_keeps_its_hash():
    plain = make_scenario(budget={"max": 1})
    data = plain.model_dump(mode="json")
    for table in ("simulation", "columns", "audience", "robustness", "prices", "replan"):  # none written: all left out
        del data[table]
    for table, keys in {"targets": ("impressions", "max_cpe"), "diversity": ("max_posts_per_influencer",),
                        "filters": ("exclude_niches", "exclude_countries"), "objective": ("risk",)}.items():   # later keys, unwritten
        for key in keys:
            del data[table][key]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert plain.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert plain.sha256 != make_scenario(budget={"max": 1}, simulation={"seed": 1}).sha256


def test_compare_shows_ranges_and_chances():
    results = [solve(catalog(), scenario()), solve(catalog(), scenario(runs=0))]
    comparison = compare(results, names=["simulated", "off"])
    figures = comparison.figures
    assert figures.at["engagements_p10", "simulated"] == results[0].outcomes.engagements.p10
    assert figures.at["engagements_p90", "off"] is None
    assert figures.at["chance:targets.reach", "simulated"] == results[0].outcomes.floors[1].chance
    view = comparison_view(comparison, 200)
    text = render(view)
    assert "engagements P10" in text and "chance coverage.s1.min_reach" in text


def test_table_view_has_an_outcome_ranges_block(tmp_path, monkeypatch):
    pd.DataFrame(ROWS).to_csv(tmp_path / "catalog.csv", index=False)
    (tmp_path / "s.toml").write_text('catalog = "catalog.csv"\n[budget]\nmax = 10000\n[targets]\nreach = 100000\n'
                                     '[simulation]\ndelivery = 0.8\n')
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli.app, ["solve", "s.toml"])
    assert done.exit_code == 0, done.output
    assert "Outcome ranges (2,000 runs, seed 0)" in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.strip().startswith("reach "))
    assert line.split()[-2] == "100,000" and line.split()[-1].endswith("%")


@pytest.mark.parametrize(("chance", "shown"), [
    (1.0, "100.0%"), (0.9995, ">99.9%"), (0.5, "50.0%"), (0.0004, "<0.1%"), (0.0, "0.0%"), (None, "-")])
def test_a_chance_is_never_rounded_to_certain_or_impossible(chance, shown):
    assert outcome_figure("chance:targets.reach", [chance]) == ("chance targets.reach", [shown])


def render(parts) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    for part in parts:
        console.print(part)
    return console.export_text()


# --- the default log-sd, from the reference data ------------------------------------------------------


@pytest.mark.skipif(not (DATA / "www20_post_sample.csv").exists(), reason="reference data ../shared/data absent")
def test_default_engagement_sd_is_the_www20_median():
    posts = pd.read_csv(DATA / "www20_post_sample.csv")
    engagements = posts["nb_likes"] + posts["nb_comments"]
    kept = engagements > 0
    logs = np.log(engagements[kept]).groupby(posts["influencer_profile"][kept])
    sd, count = logs.std(ddof=1), logs.size()
    assert (count >= 4).sum() == 1149
    assert sd[count >= 4].median() == pytest.approx(make_scenario().simulation.engagement_sd, abs=0.005)
