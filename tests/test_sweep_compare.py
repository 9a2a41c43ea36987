"""Budget sweeps (the frontier) and plan comparison, on catalogs small enough to check on paper."""

from __future__ import annotations

import json
import pickle
import signal

import numpy as np
import pytest

from instances import influencer, make_catalog, make_scenario
from models import ScenarioError
from models.synthetic import generate_catalog
from optimizer import compare, solve, sweep
from optimizer.control import Interrupted
from optimizer.executors import solve_all

# One post each, $100 a post: engagements per post 500, 400, 300 (followers x rate); audience
# shares of segment s1: 0.1, 0.1, 0.9. Budget $100 books a (500), $200 a and b (900), $300 all (1,200).
ROWS = [
    influencer("a", 10_000, 0.05, 100, niche="beauty", aud_s1=0.1),
    influencer("b", 20_000, 0.02, 100, niche="food", aud_s1=0.1),
    influencer("c", 60_000, 0.005, 100, niche="tech", aud_s1=0.9),
]


def engagements_scenario(**sections):
    return make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 100}}, **sections)


def test_marginal_value_per_extra_thousand():
    frontier = sweep(make_catalog(ROWS), engagements_scenario(), [100, 200, 300], workers=1)
    assert [point.budget for point in frontier.points] == [100, 200, 300]
    assert [point.objective for point in frontier.points] == pytest.approx([500, 900, 1200])
    # (900 - 500) / (200 - 100) x 1,000 = 4,000; (1,200 - 900) / 100 x 1,000 = 3,000
    assert [point.marginal for point in frontier.points] == [None, pytest.approx(4000), pytest.approx(3000)]
    assert [point.influencers for point in frontier.points] == [1, 2, 3]
    assert frontier.points[1].spend == pytest.approx(200)
    assert frontier.points[1].cpe == pytest.approx(200 / 900)


def test_budgets_are_sorted_once_each_and_reported_as_they_finish():
    seen = []
    frontier = sweep(make_catalog(ROWS), engagements_scenario(), [300, 100, 300, 200], workers=1,
                     progress=lambda budget, status: seen.append((budget, status)))
    assert [point.budget for point in frontier.points] == [100, 200, 300]
    assert sorted(seen) == [(100, "optimal"), (200, "optimal"), (300, "optimal")]


def test_infeasible_budgets_are_points_not_errors():
    # reaching 50,000 of segment s1 needs c (54,000): a $100 plan holding c exists, but with
    # at least two influencers booked it takes $200.
    scenario = engagements_scenario(coverage={"s1": {"min_reach": 50_000}}, diversity={"min_influencers": 2})
    frontier = sweep(make_catalog(ROWS), scenario, [100, 200, 300], workers=1)
    first, second, third = frontier.points
    assert first.status == "infeasible" and first.objective is None and not first.has_plan
    assert second.status == "optimal" and second.objective == pytest.approx(500 + 300)
    assert second.marginal is None                      # nothing to compare with below it
    assert third.marginal == pytest.approx((1200 - 800) / 100 * 1000)
    frame = frontier.to_frame()
    assert list(frame["status"]) == ["infeasible", "optimal", "optimal"]
    assert np.isnan(frame["objective"][0])
    json.dumps(frontier.to_dict(), allow_nan=False)


def test_tier_mix_shares_of_each_point_sum_to_one():
    frontier = sweep(make_catalog(ROWS), engagements_scenario(), [100, 300], workers=1)
    assert frontier.tiers == ("micro", "mid")          # scheme order: a, b micro; c mid (60,000)
    assert frontier.points[0].tier_shares == {"micro": 1.0}
    assert frontier.points[1].tier_shares == pytest.approx({"micro": 2 / 3, "mid": 1 / 3})
    frame = frontier.to_frame()
    assert list(frame["share_mid"]) == pytest.approx([0.0, 1 / 3])
    assert list(frame.columns[:9]) == ["budget", "status", "objective", "spend", "engagements", "reach",
                                       "influencers", "cpe", "marginal_per_1000"]


def test_a_budget_the_scenario_cannot_take_is_an_input_error():
    scenario = engagements_scenario(budget={"max": 500, "min": 250})
    with pytest.raises(ScenarioError, match="budget.max"):
        sweep(make_catalog(ROWS), scenario, [100, 300], workers=1)
    with pytest.raises(ValueError):
        sweep(make_catalog(ROWS), scenario, [], workers=1)


def test_a_key_the_scenario_leaves_out_can_be_swept():
    # SPEC 11: any numeric scenario key, e.g. a coverage floor or a group limit the file does not set
    catalog, scenario = make_catalog(ROWS), engagements_scenario(budget={"max": 300})
    floors = sweep(catalog, scenario, key="coverage.s1.min_reach", values=[1_000, 60_000], workers=1)
    assert [point.status for point in floors.points] == ["optimal", "infeasible"]   # s1 holds 57,000 in all
    assert floors.points[0].objective == pytest.approx(1200)
    counts = sweep(catalog, scenario, key="limits.niche.food.max_count", values=[0, 1], workers=1)
    assert [point.objective for point in counts.points] == pytest.approx([800, 1200])   # b (food) out, then in
    assert [point.value for point in counts.points] == [0, 1] and isinstance(counts.points[0].value, int)
    assert '"value": 1}' in json.dumps(counts.to_dict()) and counts.to_frame().iloc[1, 0] == 1   # a count, not 1.0
    with pytest.raises(ScenarioError, match="limits.niche.food.max_count: must be a whole number"):
        sweep(catalog, scenario, key="limits.niche.food.max_count", values=[0.5], workers=1)
    with pytest.raises(ScenarioError, match=r"key objective.minimize: not a numeric key of the scenario; "
                                            r"did you mean 'budget.min'\?$"):   # unset text is not numeric
        sweep(catalog, scenario, key="objective.minimize", values=[1], workers=1)
    with pytest.raises(ScenarioError, match="limits.niche.gaming: 'gaming' appears nowhere in column niche"):
        sweep(catalog, scenario, key="limits.niche.gaming.max_share", values=[0.5], workers=1)


def test_frontier_never_falls_as_the_budget_grows_in_parallel_workers():
    catalog = make_catalog(generate_catalog(300, seed=3))
    scenario = make_scenario({
        "objective": {"maximize": "engagements"},
        "budget": {"max": 1000},
        "diversity": {"max_share_per_influencer": 0.3, "min_distinct": {"niche": 2}},
        "limits": {"tier": {"micro": {"min_share": 0.3}}},
    })
    budgets = [1000, 2000, 4000, 8000]
    parallel = sweep(catalog, scenario, budgets, workers=2)
    values = [point.objective for point in parallel.points]
    assert all(point.status == "optimal" for point in parallel.points)
    assert all(later >= earlier * (1 - 2 * scenario.solver.gap) for earlier, later in zip(values, values[1:]))
    alone = solve(catalog, scenario.override({"budget.max": 4000}))    # the same plan as in a worker
    assert parallel.points[2].objective == pytest.approx(alone.objective.value)


# --- compare ----------------------------------------------------------------------------------------


def two_plans():
    """$200 each: plan A books a and b; plan B, without a, books b and c."""
    catalog = make_catalog(ROWS)
    plan_a = solve(catalog, engagements_scenario(name="A", budget={"max": 200}))
    plan_b = solve(catalog, engagements_scenario(name="B", budget={"max": 200}, selection={"exclude": ["a"]}))
    return plan_a, plan_b


def test_membership_lists_who_is_booked_in_some_plans_only():
    comparison = compare(two_plans())
    assert comparison.names == ("A", "B")
    assert comparison.membership == {"a": ("A",), "c": ("B",)}     # b is in both plans: not listed


def test_key_figures_side_by_side():
    comparison = compare(two_plans(), names=["micro-heavy", "no a"])
    figures = comparison.figures
    assert list(figures.columns) == ["micro-heavy", "no a"]
    assert figures.at["engagements", "micro-heavy"] == pytest.approx(900)
    assert figures.at["engagements", "no a"] == pytest.approx(700)
    assert figures.at["cpe", "no a"] == pytest.approx(200 / 700)
    assert figures.at["status", "no a"] == "optimal"
    assert figures.at["tier:micro", "micro-heavy"] == pytest.approx(1.0)
    assert figures.at["tier:mid", "no a"] == pytest.approx(0.5)
    document = comparison.to_dict()
    assert document["membership"] == {"a": ["micro-heavy"], "c": ["no a"]}
    assert document["figures"]["spend"] == {"micro-heavy": pytest.approx(200), "no a": pytest.approx(200)}
    json.dumps(document, allow_nan=False)


def test_a_scenario_error_in_a_worker_process_reaches_the_caller_as_itself():
    """solve_all in two processes: the error crosses back pickled (it broke the pool, reported as a
    failed worker naming whichever scenario was running)."""
    unbudgeted = make_scenario({"objective": {"maximize": "engagements"}}, name="no budget")
    with pytest.raises(ScenarioError, match="key budget.max: a maximize objective needs budget.max"):
        dict(solve_all([make_catalog(ROWS)], [(0, engagements_scenario()), (0, unbudgeted)], workers=2))
    error = ScenarioError("s.toml", ["key a: one", "key b: two"])
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.file, copy.problems, str(copy)) == (ScenarioError, "s.toml", error.problems, str(error))
    stopped = pickle.loads(pickle.dumps(Interrupted(signal.SIGTERM)))
    assert (type(stopped), stopped.signum, str(stopped)) == (Interrupted, signal.SIGTERM, "interrupted by SIGTERM")


def test_repeated_names_are_made_unique_and_counts_must_match():
    plan_a, _ = two_plans()
    assert compare([plan_a, plan_a]).names == ("A", "A (2)")
    assert compare([plan_a, plan_a]).membership == {}
    with pytest.raises(ValueError):
        compare([plan_a], names=["x", "y"])


def test_an_infeasible_plan_has_a_status_and_no_figures():
    catalog = make_catalog(ROWS)
    infeasible = solve(catalog, engagements_scenario(name="X", coverage={"s1": {"min_reach": 10**6}}))
    plan_a, _ = two_plans()
    comparison = compare([plan_a, infeasible])
    assert comparison.figures.at["status", "X"] == "infeasible"
    assert comparison.figures.at["spend", "X"] is None
    assert comparison.figures.at["tier:micro", "X"] is None
    assert comparison.membership == {"a": ("A",), "b": ("A",)}


def test_names_that_collide_with_a_suffix_stay_unique_and_every_plan_is_present():
    """Scenarios named x, "x (2)", x: three labels, three columns, each with its own plan's figures."""
    catalog = make_catalog(ROWS)
    plans = [solve(catalog, engagements_scenario(name=name, budget={"max": budget}))
             for name, budget in (("x", 100), ("x (2)", 200), ("x", 300))]
    comparison = compare(plans)
    assert comparison.names == ("x", "x (2)", "x (3)")
    assert list(comparison.figures.columns) == ["x", "x (2)", "x (3)"]
    engagements = [comparison.figures.at["engagements", name] for name in comparison.names]
    assert engagements == [pytest.approx(500), pytest.approx(900), pytest.approx(1200)]
    document = comparison.to_dict()
    assert document["plans"] == ["x", "x (2)", "x (3)"]
    assert list(document["figures"]["spend"]) == ["x", "x (2)", "x (3)"]
    assert document["membership"] == {"b": ["x (2)", "x (3)"], "c": ["x (3)"]}
