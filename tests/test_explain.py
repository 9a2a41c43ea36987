"""explain: what one step looser buys, break-even prices, not-computed reporting, the command line.

Every figure explain reports is a re-solve; these tests re-solve independently (the public solve on
an edited scenario or catalog) and compare. The catalog is 14 synthetic creators (seed 2), small
enough for a few dozen solves in seconds.
"""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer import Explanation, explain, solve
from optimizer.explain import PRECISION, BreakEven, _Search, loosened_value

runner = CliRunner()
explaining = importlib.import_module("optimizer.explain")   # the module: optimizer.explain is the function


@pytest.fixture(scope="module")
def frame():
    return generate_catalog(14, 2)


@pytest.fixture(scope="module")
def catalog(frame):
    return make_catalog(frame)


@pytest.fixture(scope="module")
def scenario():
    # binding at the optimum: budget.max (1,000) and diversity.min_distinct.niche (4)
    return make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 1000},
                          "limits": {"platform": {"tiktok": {"max_share": 0.4}}},
                          "diversity": {"min_influencers": 4, "min_distinct": {"niche": 4}}})


@pytest.fixture(scope="module")
def explained(catalog, scenario) -> Explanation:
    return explain(catalog, scenario, prices=1, workers=1)


def booked(result, ident: str) -> bool:
    return any(row["id"] == ident for row in result.allocation_records)


def test_every_delta_equals_an_independent_re_solve(catalog, scenario, explained):
    base = solve(catalog, scenario)
    assert explained.objective == pytest.approx(base.objective.value, rel=1e-9)
    names = {item.name for item in explained.constraints}
    assert names == {row.name for row in base.constraints if row.binding} == {"budget.max",
                                                                             "diversity.min_distinct.niche"}
    for item in explained.constraints:
        assert item.status == "computed"
        again = solve(catalog, scenario.override({item.key: item.relaxed_bound}))
        assert item.relaxed_objective == pytest.approx(again.objective.value, rel=1e-9)
        assert item.change == pytest.approx(again.objective.value - base.objective.value, rel=1e-9, abs=1e-6)
    budget = next(item for item in explained.constraints if item.name == "budget.max")
    assert (budget.bound, budget.relaxed_bound) == (1000, pytest.approx(1100))
    distinct = next(item for item in explained.constraints if item.name == "diversity.min_distinct.niche")
    assert (distinct.bound, distinct.relaxed_bound) == (4, 3)


def test_constraints_are_sorted_by_what_they_buy(explained):
    changes = [item.change for item in explained.constraints]
    assert changes == sorted(changes, reverse=True)


def test_break_even_brackets_are_honest_re_solves(frame, scenario, explained):
    """At break_even_low the re-solved plan books the creator, at break_even_high it does not, and
    high is within 2% of low; a booked creator leaves above its price, an unbooked one enters below."""
    assert [item.booked for item in explained.prices] == [True, False]
    for item in explained.prices:
        assert item.status == "computed", item.note
        low, high = item.break_even_low, item.break_even_high
        assert low < high <= PRECISION * low * (1 + 1e-12)
        assert low >= item.price if item.booked else high <= item.price
        for price, expected in ((low, True), (high, False)):
            edited = frame.copy()
            edited.loc[edited["id"] == item.id, "cost_per_post"] = price
            assert booked(solve(make_catalog(edited), scenario), item.id) is expected, (item.id, price)


def test_the_largest_spend_and_the_best_engagements_per_dollar_are_explained(frame, catalog, scenario, explained):
    base = solve(catalog, scenario)
    largest = max(base.allocation_records, key=lambda row: row["spend"])["id"]
    assert explained.prices[0].id == largest
    unbooked = frame[~frame["id"].isin([row["id"] for row in base.allocation_records])]
    per_dollar = unbooked["followers"] * unbooked["engagement_rate"] / unbooked["cost_per_post"]
    assert explained.prices[1].id == unbooked["id"][per_dollar.idxmax()]


def test_break_even_prices_of_a_minimize_cost_plan_are_honest_re_solves(frame, catalog):
    """No budget.max, so no price ceiling: the searches bracket by re-solves (a ceiling of inf made
    HiGHS fail on an infinite cost)."""
    scenario = make_scenario({"objective": {"minimize": "cost"}, "targets": {"engagements": 2000}})
    explained = explain(catalog, scenario, prices=1, workers=1)
    assert [item.booked for item in explained.prices] == [True, False]
    for item in explained.prices:
        assert item.status == "computed", item.note
        for price, expected in ((item.break_even_low, True), (item.break_even_high, False)):
            edited = frame.copy()
            edited.loc[edited["id"] == item.id, "cost_per_post"] = price
            assert booked(solve(make_catalog(edited), scenario), item.id) is expected, (item.id, price)


@pytest.mark.parametrize("key, sense, value, looser", [
    ("budget.max", "<=", 1000, 1100), ("budget.min", ">=", 500, 450),
    ("targets.engagements", ">=", 1000, 900), ("coverage.s1.min_reach", ">=", 2000, 1800),
    ("targets.max_cpe", "<=", 0.05, 0.055),
    ("limits.tier.micro.min_share", ">=", 0.4, 0.35), ("limits.platform.tiktok.max_share", "<=", 0.5, 0.55),
    ("limits.platform.tiktok.max_share", "<=", 0.98, 1.0), ("limits.tier.micro.min_share", ">=", 0.03, 0.0),
    ("diversity.max_share_per_influencer", "<=", 0.1, 0.15),
    ("diversity.min_influencers", ">=", 5, 4), ("diversity.max_influencers", "<=", 5, 6),
    ("limits.niche.food.min_count", ">=", 2, 1), ("limits.niche.food.max_count", "<=", 2, 3),
    ("diversity.min_distinct.niche", ">=", 3, 2), ("diversity.min_influencers", ">=", 0, 0),
])
def test_one_step_looser(key, sense, value, looser):
    assert loosened_value(key, sense, value) == pytest.approx(looser)


def test_a_bound_already_at_its_loosest_is_reported_not_re_solved(catalog):
    scenario = make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 1000},
                              "limits": {"platform": {"tiktok": {"min_share": 0.0}}}})
    with_zero = explain(catalog, scenario, prices=0, workers=1)
    zero = [item for item in with_zero.constraints if item.key == "limits.platform.tiktok.min_share"]
    if zero:                                   # binding only when the plan books no tiktok spend
        assert zero[0].status == "not_loosened" and zero[0].relaxed_objective is None


def test_what_does_not_finish_in_time_is_not_computed(catalog, scenario, monkeypatch):
    """The plan is found, then the time limit passes: every re-solve is reported as not computed
    (null figures and a reason), nothing is guessed."""
    original = explaining.solve

    def slow_solve(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(0.6)
        return result
    monkeypatch.setattr(explaining, "solve", slow_solve)
    late = explain(catalog, scenario, prices=1, workers=1, time_limit=0.5)
    assert late.objective is not None
    assert late.constraints and late.prices
    for item in late.constraints:
        assert item.status == "not_computed" and item.relaxed_objective is None and item.change is None
        assert "time limit" in item.note
    for item in late.prices:
        assert item.status == "not_computed" and item.break_even_low is None and item.break_even_high is None
        assert "time limit" in item.note
    json.dumps(late.to_dict(), allow_nan=False)


def test_explain_runs_its_re_solves_in_worker_processes(catalog, scenario, explained):
    parallel = explain(catalog, scenario, prices=1, workers=2)
    assert [(item.name, item.relaxed_objective) for item in parallel.constraints] == [
        (item.name, pytest.approx(item.relaxed_objective, rel=1e-9)) for item in explained.constraints]
    assert [(item.id, item.break_even_low, item.break_even_high) for item in parallel.prices] == [
        (item.id, item.break_even_low, item.break_even_high) for item in explained.prices]


def test_a_risk_plan_is_explained_without_a_warning_about_its_simulation(catalog, scenario, recwarn):
    """The scenario asks for simulation runs: nothing may claim it set runs = 0."""
    risky = scenario.override({"objective.risk": {"cvar": 0.2, "weight": 0.5, "runs": 20}, "simulation.runs": 200})
    explained = explain(catalog, risky, prices=0, workers=1)
    assert explained.objective is not None and explained.constraints
    assert not [warning for warning in recwarn if "runs = 0" in str(warning.message)]


class _Plan:
    """What a re-solve tells a break-even search: whether its plan books the creator."""

    def __init__(self, books: bool) -> None:
        self.status, self.allocation_records = "optimal", [{"id": "x"}] if books else []


def searched(booked: bool, full: float, probe: float) -> BreakEven:
    """The answer of a break-even search for a creator priced 100 whose re-solves book it below `full`
    (the probes below `probe`)."""
    search = _Search("x", "x", booked, 100.0, {100.0: booked})
    while asked := search.next_prices():
        search.learn([(price, cheap, _Plan(price < (probe if cheap else full))) for price, cheap in asked])
    return search.answer()


@pytest.mark.parametrize("break_even", [0.0, 5.0, 70.0, 99.5])
def test_a_search_brackets_the_break_even_of_an_unbooked_creator_wherever_it_is(break_even):
    """Priced 100 and booked below `break_even` (0: never, even free)."""
    answer = searched(False, break_even, break_even)
    if break_even == 0:
        assert answer.status == "no_break_even" and answer.note == "not booked even at price 0"
    else:
        low, high = answer.break_even_low, answer.break_even_high
        assert answer.status == "computed" and low < break_even <= high <= PRECISION * low
        assert answer.solves <= 2 and answer.probes <= 12


@pytest.mark.parametrize("booked", [True, False])
@pytest.mark.parametrize("shift", [0.75, 0.97, 0.995, 1.005, 1.03, 1.2])
def test_where_full_re_solves_disagree_with_the_probes_the_search_steps_out_from_there(booked, shift):
    """Probes put the break-even at 150 (booked) or 80 (unbooked); the full re-solves at `shift` times
    that. The bracket is the full re-solves', within 2%: where they are within 5% of the probes, in at
    most five full re-solves (going out by a factor of 2 and halving back, as the search once did,
    took 6 to 10)."""
    probe = 150.0 if booked else 80.0
    full = probe * shift
    answer = searched(booked, full, probe)
    low, high = answer.break_even_low, answer.break_even_high
    assert answer.status == "computed" and low < full <= high <= PRECISION * low * (1 + 1e-9)
    assert answer.solves <= (5 if abs(shift - 1) < 0.05 else 9)


def test_negative_prices_is_a_value_error(catalog, scenario):
    with pytest.raises(ValueError, match="prices"):
        explain(catalog, scenario, prices=-1, workers=1)


# --- command line -------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch, frame):
    frame.to_csv(tmp_path / "catalog.csv", index=False)
    base = ('name = "Tiny [bold]launch[/bold]"\ncatalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n'
            '[budget]\nmax = 1000\n[diversity]\nmin_influencers = 4\nmin_distinct = { niche = 4 }\n'
            '[limits.platform.tiktok]\nmax_share = 0.4\n')
    (tmp_path / "tiny.toml").write_text(base)
    (tmp_path / "typo.toml").write_text(base.replace("min_influencers = 4", "max_influencer = 3"))
    (tmp_path / "infeasible.toml").write_text(base.replace("max = 1000", "max = 20"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return runner.invoke(cli.app, [str(arg) for arg in args])


def test_json_has_the_shape_of_spec_section_11(project):
    done = run("explain", "tiny.toml", "--prices", "1", "--workers", "1", "--format", "json")
    assert done.exit_code == 0, done.stderr
    document = json.loads(done.stdout)
    assert isinstance(document["objective"], float)
    assert document["constraints"] and document["prices"]
    for item in document["constraints"]:
        assert {"name", "bound", "relaxed_bound", "relaxed_objective", "change"} <= set(item)
    for item in document["prices"]:
        assert {"id", "booked", "price", "break_even_low", "break_even_high"} <= set(item)


def test_table_prints_user_strings_literally_and_writes_the_output_whole(project):
    done = run("explain", "tiny.toml", "--prices", "1", "--workers", "1")
    assert done.exit_code == 0, done.stderr
    assert "Tiny [bold]launch[/bold]" in done.stdout
    assert "budget.max" in done.stdout and "Break-even price" in done.stdout
    written = run("explain", "tiny.toml", "--prices", "0", "--workers", "1", "-f", "json", "-o", "out.json")
    assert written.exit_code == 0 and json.loads((project / "out.json").read_text())["prices"] == []


def test_bad_input_is_located(project):
    typo = run("explain", "typo.toml", "--workers", "1")
    assert typo.exit_code == 1
    assert "typo.toml" in typo.stderr and "max_influencer" in typo.stderr and "Traceback" not in typo.stderr
    negative = run("explain", "tiny.toml", "--prices", "-1")
    assert negative.exit_code == 2 and "--prices" in negative.stderr


def test_an_infeasible_scenario_exits_3_with_its_diagnosis(project):
    done = run("explain", "infeasible.toml", "--workers", "1", "-o", "never.json", "-f", "json")
    assert done.exit_code == 3
    assert "diagnosis" in done.stderr
    assert not (project / "never.json").exists()


def test_a_binding_limit_on_a_platform_written_in_capitals_is_loosened(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text("id,platform,followers,engagement_rate,cost_per_post,max_posts\n"
                                    "t,tiktok,1000,0.1,10,10\ni,instagram,1000,0.05,10,10\n")
    (tmp_path / "s.toml").write_text('catalog = "c.csv"\n[budget]\nmax = 100\n[limits.platform.TikTok]\nmax_share = 0.5\n')
    done = run("explain", "s.toml", "--prices", "0", "--workers", "1", "-f", "json")
    assert done.exit_code == 0, done.stderr
    loosened = {item["name"]: item for item in json.loads(done.stdout)["constraints"]}
    assert loosened["limits.platform.tiktok.max_share"]["relaxed_bound"] == 0.55


def test_a_plan_not_found_within_the_explanations_time_limit_names_that_limit():
    """The base solve gets what is left of the whole limit (at least 0.01 s); the error names the limit
    the caller gave, not that remainder."""
    from models import Catalog, NoPlanError, Scenario

    scenario = Scenario.load(Path(__file__).resolve().parents[1] / "scenarios" / "spring-launch.toml")
    with pytest.raises(NoPlanError, match=r"explanation's time limit of 0.001 s"):
        explain(Catalog.load(scenario.catalog), scenario, prices=0, time_limit=0.001, workers=1)
