"""The MILP solved from its LP's neighbourhood (optimizer/rounding.py)."""

from __future__ import annotations

import numpy as np
import pytest

from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer.backend import Solution, solve_linear
from optimizer.build import build_milp
from optimizer.problem import prepare
from optimizer.outcome import within_gap
from optimizer.rounding import least_within_gap, neighbourhood, solve_rounded

SCENARIOS = [
    {"budget": {"max": 20_000}},
    {"budget": {"max": 7_000}, "diversity": {"max_share_per_influencer": 0.2, "min_influencers": 6},
     "limits": {"platform": {"tiktok": {"max_share": 0.4}}}},
    {"objective": {"maximize": "reach"}, "budget": {"max": 9_000}},
]


def model_for(spec: dict, rows: int = 80, seed: int = 5):
    return build_milp(prepare(make_catalog(generate_catalog(rows, seed)), make_scenario(spec)))[0]


def test_the_neighbourhood_keeps_what_the_lp_books_within_one_and_fixes_the_rest_at_zero():
    model = model_for(SCENARIOS[0])
    values = np.zeros(model.num_cols)
    values[0], values[1], values[model.n] = 2.4, 1.0, 0.4     # posts of 0 and 1, booked of 0
    near = neighbourhood(model, values)
    assert (near.lb[0], near.ub[0]) == (1.0, min(model.ub[0], 4.0))
    assert (near.lb[1], near.ub[1]) == (0.0, min(model.ub[1], 2.0))
    assert (near.lb[model.n], near.ub[model.n]) == (0.0, 1.0)
    assert near.ub[2] == 0 and near.ub[model.n + 2] == 0              # left out by the LP: fixed at 0
    assert near.ub[2 * model.n] == model.ub[2 * model.n]             # the spend column is continuous: untouched


@pytest.mark.parametrize("spec", SCENARIOS)
def test_solve_rounded_proves_the_same_optimum_as_the_whole_milp(spec):
    model = model_for(spec)
    whole = solve_linear(model, gap=1e-6)
    solves: list[dict] = []

    def solve(milp, **options) -> Solution:
        solves.append(options)
        return solve_linear(milp, **options)

    rounded = solve_rounded(model, solve, 1e-4)
    assert rounded.status == "optimal"
    assert rounded.objective >= whole.objective - 1e-4 * abs(whole.objective) - 1e-6
    assert rounded.bound >= whole.objective - 1e-6                    # a proven bound
    assert rounded.bound - rounded.objective <= 1e-4 * abs(rounded.objective) + 1e-6
    assert solves[0] == {"mip": False}
    if len(solves) == 3:                                               # the whole MILP ran, as it would have
        assert solves[2] == {"gap": 1e-4}


def test_an_infeasible_lp_ends_the_solve():
    model = model_for({"budget": {"max": 5_000}, "coverage": {"f18_24": {"min_reach": 10**9}}})
    calls = []
    result = solve_rounded(model, lambda milp, **options: calls.append(options) or solve_linear(milp, **options), 1e-4)
    assert result.status == "infeasible" and calls == [{"mip": False}]


@pytest.mark.parametrize("objective", [3.0, 7.7, -3.5, 266819.68424, 523547.00139, 1234567.891, -123456.789])
def test_a_bound_within_the_gap_never_reports_a_gap_above_it(objective):
    bound = within_gap(objective, 1e-4)     # objective + 1e-4 |objective| gives 1.00000000000005e-4 for 523,547.00139
    assert bound > objective and (bound - objective) / abs(objective) <= 1e-4


@pytest.mark.parametrize("whole", ["no plan", "a worse plan"])
def test_a_whole_milp_stopped_early_keeps_the_neighbourhoods_plan(whole):
    """A time limit or Ctrl-C that stops the whole MILP with a worse plan, or before any, leaves the
    neighbourhood's plan as the answer (time_limit), under the LP's bound."""
    model = model_for(SCENARIOS[1])
    solves, found = [], []

    def solve(milp, **options) -> Solution:
        solves.append(options)
        if len(solves) < 3:                 # the LP, then the neighbourhood (its plan not within the gap)
            found.append(solve_linear(milp, **options))
            return found[-1]
        if whole == "no plan":
            return Solution("no_solution", None, None, None, None, 0.0, 0.0)
        return Solution("time_limit", np.zeros(milp.num_cols), 0.0, None, None, 0.0, 0.0)

    lp = solve_linear(model, mip=False)
    near = solve_linear(neighbourhood(model, lp.values), gap=0.0)
    assert lp.objective - near.objective > 1e-4 * abs(near.objective)     # so the whole MILP runs
    kept = solve_rounded(model, solve, 1e-4)
    assert len(solves) == 3 and kept.status == "time_limit" and found[1].values is not None
    assert kept.objective == found[1].objective and kept.bound == pytest.approx(lp.objective)


@pytest.mark.parametrize("spec", SCENARIOS)
def test_a_milp_gives_up_once_its_bound_is_below_what_it_was_solved_for(spec):
    """give_up_below: above the optimum the MILP stops with the bound under it (no proven optimum);
    below it, nothing changes."""
    model = model_for(spec)
    whole = solve_linear(model, gap=1e-6)
    above = solve_linear(model, gap=1e-6, give_up_below=whole.objective * 1.01)
    assert above.status in ("time_limit", "no_solution")
    below = solve_linear(model, gap=1e-6, give_up_below=whole.objective * 0.99)
    assert below.status == "optimal" and below.objective == pytest.approx(whole.objective, rel=1e-6)


def test_the_neighbourhood_is_solved_for_a_plan_within_the_gap_of_the_lp():
    assert least_within_gap(100.0, 0.01) == pytest.approx(100 / 1.01)
    assert least_within_gap(-100.0, 0.01) == pytest.approx(-100 / 0.99)
    for bound in (100.0, -100.0):
        least = least_within_gap(bound, 0.01)
        assert least + 0.01 * abs(least) == pytest.approx(bound)
