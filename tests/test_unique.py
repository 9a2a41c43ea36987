"""Unique reach, frequency and dropouts (docs/reference.md "Audience", "Dropouts").

The brute-force tests enumerate every post vector of tiny catalogs and judge each with the
closed form of SPEC section 8 written again here (no influmix code), so the MILP's post
slots, log increments, tangent cuts and Bertsimas-Sim rows are held to the exact formula.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import influencer, make_catalog, make_scenario
from models.errors import CatalogError, ScenarioError, VerificationError
from optimizer import solve
from optimizer.audience import from_log, log_terms, people_reached, without_largest
from optimizer.checks import Plan
from optimizer.floor_checks import floor_value
from optimizer.verify import check_plan

GAP = 1e-7
SEEDS = range(10)
PROPERTIES = settings(max_examples=60, deadline=None, derandomize=True, database=None)


# --- the exact formula, written independently --------------------------------------------------

def reached(frame: pd.DataFrame, shares: np.ndarray, rates: np.ndarray, posts: np.ndarray) -> np.ndarray:
    """r_i(x_i) for a batch of post vectors (rows), from the raw frame."""
    audience = frame["followers"].to_numpy(float) * frame["authenticity"].to_numpy(float) * shares
    return audience * (1.0 - (1.0 - rates) ** posts)


def unique(population: float, people: np.ndarray, dropouts: int = 0) -> np.ndarray:
    """N (1 - prod (1 - r_i / N)) per row, without the `dropouts` creators whose loss hurts most."""
    kept = 1.0 - people / population
    if dropouts:
        kept = np.sort(kept, axis=1)[:, dropouts:]      # losing the largest r_i hurts most
    return population * (1.0 - np.prod(kept, axis=1))


def all_plans(max_posts: np.ndarray) -> np.ndarray:
    return np.array(list(itertools.product(*[range(m + 1) for m in max_posts])), dtype=float)


def tiny(seed: int) -> tuple[pd.DataFrame, dict]:
    """<= 7 creators, max_posts <= 3, view rates by platform and per row, two segments."""
    rng = np.random.default_rng([seed, 9])
    n = int(rng.integers(3, 8))
    shares = rng.uniform(0.05, 0.5, size=(n, 2))
    frame = pd.DataFrame({
        "id": [f"c{i}" for i in range(n)],
        "platform": rng.choice(["instagram", "tiktok"], n),
        "followers": rng.integers(5_000, 300_000, n),
        "engagement_rate": rng.uniform(0.01, 0.08, n).round(4),
        "cost_per_post": rng.uniform(100, 3_000, n).round(0),
        "max_posts": rng.integers(1, 4, n),
        "authenticity": rng.uniform(0.6, 1.0, n).round(3),
        "aud_s1": shares[:, 0].round(3), "aud_s2": shares[:, 1].round(3),
    })
    if rng.random() < 0.5:
        frame["view_rate"] = np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0.1, 1.0, n).round(3))
    audience = {"population": float(rng.integers(400_000, 2_000_000)),
                "segments": {"s1": float(rng.integers(150_000, 600_000)), "s2": float(rng.integers(150_000, 600_000))},
                "view_rate": {"default": 0.4, "tiktok": round(float(rng.uniform(0.2, 1.0)), 3)}}
    spec = {"budget": {"max": float(frame["cost_per_post"].sum() * rng.uniform(0.3, 0.9))},
            "audience": audience, "solver": {"gap": GAP}}
    return frame, spec


def rates_of(frame: pd.DataFrame, spec: dict) -> np.ndarray:
    table = spec["audience"]["view_rate"]
    by_platform = np.array([table.get(p, table["default"]) for p in frame["platform"]])
    given = frame["view_rate"].to_numpy(float) if "view_rate" in frame else np.full(len(frame), np.nan)
    return np.where(np.isnan(given), by_platform, given)


def judge(frame: pd.DataFrame, spec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every plan, whether it is feasible, and its objective value."""
    plans = all_plans(frame["max_posts"].to_numpy())
    rates, audience = rates_of(frame, spec), spec["audience"]
    dropouts = spec.get("robustness", {}).get("dropouts", 0)
    ok = plans @ frame["cost_per_post"].to_numpy(float) <= spec["budget"]["max"] * (1 + 1e-9)
    ones = np.ones(len(frame))
    reach = unique(audience["population"], reached(frame, ones, rates, plans))
    if "reach" in spec.get("targets", {}):
        worst = unique(audience["population"], reached(frame, ones, rates, plans), dropouts)
        ok &= worst >= spec["targets"]["reach"] * (1 - 1e-7)
    segment = {s: unique(audience["segments"][s], reached(frame, frame[f"aud_{s}"].to_numpy(float), rates, plans))
               for s in ("s1", "s2")}
    for s, floor in spec.get("coverage", {}).items():
        worst = unique(audience["segments"][s], reached(frame, frame[f"aud_{s}"].to_numpy(float), rates, plans),
                       dropouts)
        ok &= worst >= floor["min_reach"] * (1 - 1e-7)
    objective = spec["objective"].get("maximize")
    if spec["objective"].get("minimize") == "cost":
        value = -(plans @ frame["cost_per_post"].to_numpy(float))
    elif objective == "reach":
        value = reach
    elif objective == "targeted_reach":
        weights = spec["objective"].get("segment_weights", {})
        value = sum(weights.get(s, 1.0) * segment[s] for s in segment)
    else:
        value = plans @ (frame["followers"] * frame["engagement_rate"]).to_numpy(float)
    return plans, ok, value


def solved(frame: pd.DataFrame, spec: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve(make_catalog(frame), make_scenario(spec))


def with_floors(frame: pd.DataFrame, spec: dict, seed: int, dropouts: int) -> dict:
    """Floors at a share of what the best plans reach (so that most instances stay feasible)."""
    rng = np.random.default_rng([seed, 11])
    plans, ok, _ = judge(frame, {**spec, "objective": {"maximize": "reach"}})
    rates, audience = rates_of(frame, spec), spec["audience"]
    best = unique(audience["population"], reached(frame, np.ones(len(frame)), rates, plans[ok]), dropouts).max()
    best_s1 = unique(audience["segments"]["s1"], reached(frame, frame["aud_s1"].to_numpy(float), rates, plans[ok]),
                     dropouts).max()
    return {**spec, "targets": {"reach": float(round(best * rng.uniform(0.3, 0.8)))},
            "coverage": {"s1": {"min_reach": float(round(best_s1 * rng.uniform(0.3, 0.8)))}},
            "robustness": {"dropouts": dropouts}}


# --- brute force ---------------------------------------------------------------------------------

@pytest.mark.parametrize("objective", ["reach", "targeted_reach"])
@pytest.mark.parametrize("seed", SEEDS)
def test_unique_objectives_match_enumeration(objective, seed):
    frame, spec = tiny(seed)
    spec["objective"] = {"maximize": objective}
    if objective == "targeted_reach":
        spec["objective"]["segment_weights"] = {"s1": 2.0}
    _, ok, value = judge(frame, spec)
    result = solved(frame, spec)
    best = value[ok].max()
    assert result.status == "optimal" and result.objective.reach_model == "unique"
    assert result.objective.value == pytest.approx(best, rel=1e-6)
    assert best <= result.objective.bound * (1 + 1e-9)          # a proven bound on the exact objective
    assert result.objective.gap <= GAP * 10


@pytest.mark.parametrize("dropouts", [0, 1, 2])
@pytest.mark.parametrize("seed", SEEDS)
def test_unique_floors_with_dropouts_match_enumeration(dropouts, seed):
    frame, spec = tiny(seed)
    spec = with_floors(frame, {**spec, "objective": {"maximize": "engagements"}}, seed, dropouts)
    _, ok, value = judge(frame, spec)
    result = solved(frame, spec)
    if not ok.any():
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.objective.value == pytest.approx(value[ok].max(), rel=1e-6)
    row = next(row for row in result.constraints if row.name == "targets.reach")
    assert (row.worst_case is not None) == (dropouts > 0)


@pytest.mark.parametrize("seed", range(5))
def test_cheapest_plan_meeting_unique_floors_matches_enumeration(seed):
    frame, spec = tiny(seed)
    spec = with_floors(frame, {**spec, "objective": {"minimize": "cost"}}, seed, seed % 2)
    _, ok, value = judge(frame, spec)
    result = solved(frame, spec)
    assert result.status == ("optimal" if ok.any() else "infeasible")
    if ok.any():
        assert result.objective.value == pytest.approx(-value[ok].max(), rel=1e-6)


@pytest.mark.parametrize("objective", ["reach", "targeted_reach"])
def test_cbc_solves_the_unique_model(objective):
    frame, spec = tiny(3)
    spec["objective"] = {"maximize": objective}
    spec["solver"]["name"] = "cbc"
    _, ok, value = judge(frame, spec)
    result = solved(frame, spec)
    assert result.status == "optimal" and result.solver.method == "plain"
    assert result.objective.value == pytest.approx(value[ok].max(), rel=1e-6)


def test_gross_floors_with_dropouts_match_enumeration():
    for seed in range(6):
        frame, spec = tiny(seed)
        del spec["audience"]
        frame = frame.drop(columns=["view_rate"], errors="ignore")
        audience = (frame["followers"] * frame["authenticity"]).to_numpy(float)
        floor = float(np.sort(audience)[-3:].sum() * 0.4)
        spec.update(objective={"maximize": "engagements"}, targets={"reach": floor}, robustness={"dropouts": 1})
        plans = all_plans(frame["max_posts"].to_numpy())
        booked = (plans > 0) * audience
        worst = booked.sum(axis=1) - booked.max(axis=1)
        ok = (plans @ frame["cost_per_post"].to_numpy(float) <= spec["budget"]["max"] * (1 + 1e-9)) & (
            worst >= floor * (1 - 1e-9))
        result = solved(frame, spec)
        if not ok.any():
            assert result.status == "infeasible"
            continue
        engagements = plans @ (frame["followers"] * frame["engagement_rate"]).to_numpy(float)
        assert result.objective.value == pytest.approx(engagements[ok].max(), rel=1e-6)
        assert result.objective.reach_model == "gross" and result.totals.unique_reach is None


def test_a_union_floor_with_dropouts_is_judged_on_the_union():
    """coverage."f+g" with dropouts: the union's A_i (aud_f + aud_g), without its largest (b's 8,000):
    a 7,000 + c 4,000 = 11,000 >= 10,000 needs all three (the verifier once read a column aud_f+g)."""
    catalog = make_catalog([influencer("a", 10_000, 0.02, 100, aud_f=0.5, aud_g=0.2),
                            influencer("b", 20_000, 0.02, 100, aud_f=0.1, aud_g=0.3),
                            influencer("c", 5_000, 0.02, 100, aud_f=0.4, aud_g=0.4)])
    scenario = make_scenario(objective={"maximize": "engagements"}, budget={"max": 300},
                             coverage={"f+g": {"min_reach": 10_000}}, robustness={"dropouts": 1})
    result = solved_catalog(catalog, scenario)
    row = next(row for row in result.constraints if row.name == "coverage.f+g")
    assert result.status == "optimal" and len(result.allocation_records) == 3
    assert row.lhs == pytest.approx(19_000) and row.worst_case == pytest.approx(11_000)
    tighter = make_scenario(objective={"maximize": "engagements"}, budget={"max": 300},
                            coverage={"f+g": {"min_reach": 11_001}}, robustness={"dropouts": 1})
    assert solved_catalog(catalog, tighter).status == "infeasible"


# --- the closed form against simulated audiences ---------------------------------------------------

def test_closed_form_matches_simulated_independent_audiences():
    """Each creator's audience is a random set of A_i people among N; each post is seen by each of
    them with probability v_i. The mean count of people reached matches U within 4 standard errors."""
    rng = np.random.default_rng(5)
    population, audience = 20_000, np.array([6_000, 3_000, 8_000, 1_500])
    rates, posts = np.array([0.3, 0.6, 0.2, 1.0]), np.array([2, 1, 3, 1])
    counts = []
    for _ in range(400):
        seen = np.zeros(population, dtype=bool)
        for a, v, x in zip(audience, rates, posts):
            members = rng.choice(population, a, replace=False)
            seen[members[rng.random(a) < 1 - (1 - v) ** x]] = True
        counts.append(seen.sum())
    counts = np.array(counts)
    closed = from_log(population, log_terms(population, people_reached(audience.astype(float), rates, posts)).sum())
    assert abs(counts.mean() - closed) <= 4 * counts.std(ddof=1) / math.sqrt(len(counts))


# --- properties ----------------------------------------------------------------------------------

creators = st.lists(st.tuples(st.floats(1, 5e5), st.floats(0.01, 1.0), st.integers(0, 4)), min_size=1, max_size=8)


@PROPERTIES
@given(creators, st.floats(1e6, 1e8))
def test_unique_reach_is_never_above_gross(rows, population):
    audience, rates, posts = (np.array(column, dtype=float) for column in zip(*rows))
    people = people_reached(audience, rates, posts)
    total = float(from_log(population, log_terms(population, people).sum()))
    assert total <= people.sum() * (1 + 1e-9) + 1e-6
    assert people.sum() <= (audience * (posts > 0)).sum() * (1 + 1e-9) + 1e-6


@PROPERTIES
@given(creators, st.floats(1e6, 1e8), st.integers(0, 7))
def test_unique_reach_rises_with_posts(rows, population, which):
    audience, rates, posts = (np.array(column, dtype=float) for column in zip(*rows))
    more = posts.copy()
    more[which % len(more)] += 1
    before, after = (float(from_log(population, log_terms(population, people_reached(audience, rates, p)).sum()))
                     for p in (posts, more))
    assert after >= before * (1 - 1e-12)


@PROPERTIES
@given(creators, st.floats(1e6, 1e8), st.integers(0, 8))
def test_the_worst_case_is_never_above_the_value(rows, population, dropouts):
    audience, rates, posts = (np.array(column, dtype=float) for column in zip(*rows))
    terms = log_terms(population, people_reached(audience, rates, posts))
    assert without_largest(terms, dropouts) <= terms.sum() * (1 + 1e-12) + 1e-15
    worst_by_subsets = min(terms.sum() - terms[list(lost)].sum()
                           for lost in itertools.combinations(range(len(terms)), min(dropouts, len(terms))))
    assert without_largest(terms, dropouts) == pytest.approx(worst_by_subsets, rel=1e-9, abs=1e-15)


# --- paper checks, Result and views ----------------------------------------------------------------

def two_creators():
    return make_catalog([influencer("a", 100_000, 0.02, 1_000, max_posts=2, aud_f=0.5),
                         influencer("b", 50_000, 0.04, 1_000, platform="tiktok", aud_f=0.2)])


def test_two_creators_on_paper():
    """A: 100,000 people, view rate 0.5, 2 posts -> 75,000; B: 50,000, view rate 1 -> 50,000;
    N = 1,000,000: U = N (1 - 0.925 * 0.95) = 121,250; impressions 100,000 + 50,000."""
    scenario = make_scenario(objective={"maximize": "reach"}, budget={"max": 3_000},
                             audience={"population": 1_000_000, "view_rate": {"instagram": 0.5}})
    result = solved_catalog(two_creators(), scenario)
    assert {row["id"]: row["posts"] for row in result.allocation_records} == {"a": 2, "b": 1}
    assert result.objective.value == pytest.approx(121_250)
    assert result.totals.unique_reach == pytest.approx(121_250)
    assert result.totals.reach == pytest.approx(125_000)
    assert result.totals.impressions == pytest.approx(150_000)
    assert result.totals.frequency == pytest.approx(150_000 / 121_250)
    assert {row["id"]: row["reach"] for row in result.allocation_records} == pytest.approx({"a": 75_000, "b": 50_000})


def solved_catalog(catalog, scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve(catalog, scenario)


@pytest.mark.parametrize("objective", ["reach", "targeted_reach"])
def test_the_fast_path_keeps_post_slots(objective):
    """The fast path prices post slots (tests/test_fast_features.py): no hand-over, the same plan."""
    scenario = make_scenario(objective={"maximize": objective}, budget={"max": 3_000},
                             audience={"population": 1e6, "segments": {"f": 4e5}, "view_rate": {"instagram": 0.5}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = solve(two_creators(), scenario)
    plain = solve(two_creators(), scenario, method="plain")
    assert result.solver.method == "fast" and result.status == "optimal"
    assert {row["id"]: row["posts"] for row in result.allocation_records} == {"a": 2, "b": 1}
    assert result.objective.value == pytest.approx(plain.objective.value, rel=1e-9)


def test_without_audience_the_new_fields_are_null():
    result = solve(two_creators(), make_scenario(objective={"maximize": "reach"}, budget={"max": 3_000}))
    data = json.loads(result.to_json())
    assert data["objective"]["reach_model"] == "gross"
    assert {data["totals"][key] for key in ("unique_reach", "impressions", "frequency")} == {None}
    assert {data["coverage"][0][key] for key in ("unique_reach", "population", "worst_case")} == {None}


def test_floors_report_their_worst_case():
    scenario = make_scenario(objective={"maximize": "engagements"}, budget={"max": 3_000},
                             targets={"reach": 40_000, "impressions": 40_000}, coverage={"f": {"min_reach": 10_000}},
                             audience={"population": 1e6, "segments": {"f": 2e5}, "view_rate": {"instagram": 0.5}},
                             robustness={"dropouts": 1})
    result = solved_catalog(two_creators(), scenario)
    plan = Plan(two_creators(), scenario, np.array([2, 1]))
    rows = {row.name: row for row in result.constraints}
    for key in ("targets.reach", "targets.impressions", "coverage.f"):
        value, worst, _ = floor_value(plan, key)
        assert rows[key].lhs == pytest.approx(value) and rows[key].worst_case == pytest.approx(worst)
        assert rows[key].worst_case <= rows[key].lhs
    assert rows["targets.reach"].worst_case == pytest.approx(50_000)     # without a (75,000)
    assert result.coverage[0].worst_case == pytest.approx(rows["coverage.f"].worst_case)
    assert result.coverage[0].unique_reach == pytest.approx(2e5 * (1 - (1 - 37_500 / 2e5) * (1 - 10_000 / 2e5)))


def test_the_verifier_rejects_a_plan_below_a_unique_floor():
    scenario = make_scenario(objective={"maximize": "engagements"}, budget={"max": 3_000},
                             targets={"reach": 100_000}, audience={"population": 1e6, "view_rate": {"instagram": 0.5}})
    with pytest.raises(VerificationError, match="targets.reach"):
        check_plan(two_creators(), scenario, np.array([1, 1]))   # 50,000 + 50,000 overlap: 97,500
    check_plan(two_creators(), scenario, np.array([2, 1]))


def test_too_many_dropouts_are_diagnosed():
    scenario = make_scenario(objective={"maximize": "engagements"}, budget={"max": 3_000},
                             targets={"reach": 10_000}, robustness={"dropouts": 2})
    result = solved_catalog(two_creators(), scenario)
    assert result.status == "infeasible"
    assert "robustness.dropouts" in [entry.constraint for entry in result.diagnosis]


# --- located errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, message", [
    ({"audience": {"population": 1e6, "segments": {"g": 1e5}}, "coverage": {"f": {"min_reach": 1}}},
     r"key coverage\.f: segment 'f' is not in audience\.segments"),
    ({"audience": {"population": 1e6}, "targets": {"reach": 1e6}},
     r"key targets\.reach: must be below audience\.population"),
    ({"audience": {"population": 1e6, "segments": {"f": 1e5}}, "coverage": {"f": {"min_reach": 1e5}}},
     r"key coverage\.f\.min_reach: must be below audience\.segments\.f"),
    ({"audience": {"population": 1e6, "view_rate": {"tiktok": 0}}},
     r"key audience\.view_rate\.tiktok: must be greater than 0"),
    ({"audience": {"population": 1e6, "view_rate": {"default": 1.5}}},
     r"key audience\.view_rate\.default: must be at most 1"),
    ({"robustness": {"dropouts": -1}}, r"key robustness\.dropouts: must be at least 0"),
    ({"robustness": {"dropouts": 1.5}}, r"key robustness\.dropouts: must be a whole number"),
    ({"targets": {"impressions": 5}}, r"key targets\.impressions: needs \[audience\]"),
    ({"objective": {"maximize": "targeted_reach", "segment_weights": {"f": 2}},
      "audience": {"population": 1e6, "segments": {"g": 1e5}}}, r"key objective\.segment_weights\.f: segment 'f'"),
])
def test_scenario_errors_name_the_key(spec, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(spec)


def test_a_row_whose_audience_reaches_the_population_is_named():
    scenario = make_scenario(objective={"maximize": "reach"}, budget={"max": 3_000},
                             audience={"population": 80_000, "segments": {"f": 10_000, "x": 5}})
    with pytest.raises(ScenarioError) as error:
        solve(two_creators(), scenario)
    text = str(error.value)
    assert "key audience.population: row 1 (id a): audience A_i = 100,000 is not below the population 80,000" in text
    assert "key audience.segments.f: row 1 (id a)" in text and "row 2 (id b)" in text
    assert "key audience.segments.x: segment 'x' is not in the catalog" in text


def test_a_view_rate_for_a_platform_not_in_the_catalog_is_said():
    scenario = make_scenario(objective={"maximize": "reach"}, budget={"max": 3_000},
                             audience={"population": 1e6, "view_rate": {"default": 0.5, "Instagrm": 0.3}})
    with pytest.warns(UserWarning, match="key audience.view_rate.instagrm: 'instagrm' appears nowhere in column "
                                         "platform: not used; did you mean 'instagram'"):
        solve(two_creators(), scenario)


@pytest.mark.parametrize("value, message", [(0, "view_rate must be greater than 0"), (150, "above 100 percent")])
def test_catalog_view_rates_outside_zero_one_are_located(value, message):
    """A view rate above 1 reads as percent (like every fraction column); above 100 percent, or 0, is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CatalogError, match=f"row 1.*view_rate.*{message}"):
            make_catalog([influencer("a", 1_000, 0.1, 10, view_rate=value)])


def test_posts_of_a_creator_seen_whole_by_one_post_are_trimmed():
    """View rate 1: a's second post reaches nobody new, so the plan keeps one (budget left over)."""
    scenario = make_scenario(objective={"maximize": "reach"}, budget={"max": 5_000}, audience={"population": 1e6})
    result = solved_catalog(two_creators(), scenario)
    assert {row["id"]: row["posts"] for row in result.allocation_records} == {"a": 1, "b": 1}
    assert result.objective.value == pytest.approx(1e6 * (1 - 0.9 * 0.95))


# --- command line --------------------------------------------------------------------------------

UNIQUE = """\
name = "Unique"
catalog = "catalog.csv"
[objective]
maximize = "reach"
[budget]
max = 3000
[coverage.f]
min_reach = 20000
[audience]
population = 1000000
segments = { f = 200000 }
view_rate = { instagram = 0.5 }
"""


@pytest.fixture
def unique_project(tmp_path, monkeypatch):
    pd.DataFrame([influencer("a", 100_000, 0.02, 1_000, max_posts=2, aud_f=0.5),
                  influencer("b", 50_000, 0.04, 1_000, platform="tiktok", aud_f=0.2)]).to_csv(tmp_path / "catalog.csv",
                                                                                              index=False)
    (tmp_path / "unique.toml").write_text(UNIQUE)
    (tmp_path / "gross.toml").write_text(UNIQUE.split("[audience]")[0].replace('"Unique"', '"Gross"'))
    (tmp_path / "dropouts.toml").write_text(UNIQUE + "[robustness]\ndropouts = 2\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli_run(*args: str):
    from typer.testing import CliRunner

    import cli
    return CliRunner().invoke(cli.app, list(args))


def test_the_table_view_shows_unique_reach(unique_project):
    done = cli_run("solve", "unique.toml")
    assert done.exit_code == 0, done.output
    assert "unique reach 121,250 · impressions 150,000 · frequency 1.24" in done.stdout
    assert "Audience coverage (unique reach in segment)" in done.stdout
    assert "200,000" in done.stdout                                        # the segment's population
    assert "(fast)" in done.stdout                                         # the fast path prices post slots


def test_json_carries_the_audience_fields(unique_project):
    data = json.loads(cli_run("solve", "unique.toml", "--format", "json").stdout)
    assert data["objective"]["reach_model"] == "unique"
    assert data["totals"]["unique_reach"] == pytest.approx(121_250)
    coverage = data["coverage"][0]
    assert coverage["population"] == 200_000
    assert coverage["unique_reach"] == pytest.approx(2e5 * (1 - (1 - 37_500 / 2e5) * (1 - 10_000 / 2e5)))


def test_compare_and_sweep_show_unique_reach(unique_project):
    compared = cli_run("compare", "gross.toml", "unique.toml")
    assert compared.exit_code == 0, compared.output
    assert "unique reach" in compared.stdout and "frequency" in compared.stdout
    plain = cli_run("compare", "gross.toml", "gross.toml")
    assert "unique reach" not in plain.stdout
    swept = cli_run("sweep", "unique.toml", "--budgets", "1000,3000", "--format", "csv")
    assert swept.exit_code == 0, swept.output
    assert "unique_reach" in swept.stdout.splitlines()[0]
    assert "unique_reach" not in cli_run("sweep", "gross.toml", "--budgets", "1000,3000",
                                         "--format", "csv").stdout.splitlines()[0]


def test_dropouts_no_plan_survives_exit_3(unique_project):
    done = cli_run("solve", "dropouts.toml")
    assert done.exit_code == 3
    assert "robustness.dropouts" in done.output


def test_audience_for_the_figures_only_keeps_the_fast_path():
    """With [audience] but no unique objective or floor the model needs no post slots: the fast path
    (its reduction forced) solves it, impressions floor included, to the plain optimum."""
    from models.synthetic import generate_catalog
    from optimizer.fast import solve_fast
    from optimizer.problem import prepare

    frame = generate_catalog(300, seed=3)
    catalog = make_catalog(frame)
    scenario = make_scenario(objective={"maximize": "engagements"}, budget={"max": 20_000},
                             targets={"impressions": 4_500_000}, solver={"gap": 1e-6},
                             audience={"population": 5e7, "view_rate": {"default": 0.3, "tiktok": 0.5}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no hand-over warning
        result = solve(catalog, scenario)
    plain = solve(catalog, scenario, method="plain")
    outcome = solve_fast(prepare(catalog, scenario), direct_below=0, core_min=20)
    assert result.totals.impressions >= 4_500_000 * (1 - 1e-9) and result.totals.unique_reach is not None
    assert next(row for row in result.constraints if row.name == "targets.impressions").binding
    assert outcome.status == "optimal"
    problem = prepare(catalog, scenario)
    assert float(problem.engagements @ outcome.posts) == pytest.approx(plain.objective.value, rel=2e-6)


def test_the_binding_robust_floor_shows_its_worst_case(unique_project):
    (unique_project / "robust.toml").write_text(UNIQUE.replace("min_reach = 20000", "min_reach = 9000")
                                                + "[robustness]\ndropouts = 1\n")
    done = cli_run("solve", "robust.toml", "--format", "json")
    row = next(row for row in json.loads(done.stdout)["constraints"] if row["name"] == "coverage.f")
    assert row["worst_case"] == pytest.approx(10_000) and row["lhs"] > row["worst_case"]   # b alone, a lost
    assert row["slack"] == pytest.approx(1_000)
    table = cli_run("solve", "robust.toml").stdout
    assert "worst case" in table and "10,000" in table

