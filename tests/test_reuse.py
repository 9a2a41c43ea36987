"""Work carried from one solve to the next (optimizer/reuse.py): a sweep or a comparison that
reuses the prepared problem, the rankings, the warm LP and the last plan gives what independent
solves give, each point verified and bounded alike."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from instances import influencer, make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer import solve, sweep
from optimizer.backend import solve_linear
from optimizer.build import build_milp
from optimizer.executors import solve_all
from optimizer.problem import prepare
from optimizer.reuse import Reuse, _tightened, tighter
from optimizer.warm_lp import WarmLP

ROWS = 2_000   # above the fast path's DIRECT_BELOW: the column-generated LP is what is reused
SCENARIO = {"solver": {"gap": 1e-3}, "budget": {"max": 30_000}, "coverage": {"f18_24": {"min_reach": 60_000}},
            "diversity": {"max_share_per_influencer": 0.2, "min_distinct": {"niche": 4}},
            "limits": {"tier": {"micro": {"min_share": 0.3}}, "platform": {"tiktok": {"max_share": 0.4}}}}


@pytest.fixture(scope="module")
def catalog():
    return make_catalog(generate_catalog(ROWS, 5))


def independent_and_reused(catalog, scenarios):
    """Each scenario solved alone, and all of them in turn through one Reuse."""
    alone = [solve(catalog, scenario, diagnose=False) for scenario in scenarios]
    reuse = Reuse()
    reused = [solve(catalog, scenario, diagnose=False, reuse=reuse) for scenario in scenarios]
    return alone, reused


def assert_same_optimum(alone, reused):
    """Same status; objectives within the gap of each other; every bound proven for its plan
    (each plan passed solve's independent check, which raises otherwise)."""
    for one, other in zip(alone, reused):
        assert other.status == one.status == "optimal"
        assert other.solver.method == "fast"
        gap = SCENARIO["solver"]["gap"]
        assert other.objective.value == pytest.approx(one.objective.value, rel=gap)
        assert other.objective.bound >= one.objective.value * (1 - 1e-9)
        assert other.objective.gap <= gap


def test_a_budget_sweep_through_one_reuse_equals_independent_solves(catalog, monkeypatch):
    carried = []
    retarget = WarmLP.retarget
    monkeypatch.setattr(WarmLP, "retarget", lambda lp, model: (carried.append(lp), retarget(lp, model))[1])
    base = make_scenario(SCENARIO)
    scenarios = [base.override({"budget.max": budget}) for budget in (20_000, 40_000)]
    assert_same_optimum(*independent_and_reused(catalog, scenarios))
    assert len(carried) == 1 and carried[0] is not None   # the first point's LP, carried to the second


def test_a_floor_sweep_carries_the_last_plan_where_the_floor_does_not_bind(catalog, monkeypatch):
    carried = []
    carry = Reuse.carried
    monkeypatch.setattr(Reuse, "carried", lambda self, *args: (carried.append(found := carry(self, *args)), found)[1])
    base = make_scenario(SCENARIO)
    scenarios = [base.override({"coverage.f18_24.min_reach": reach}) for reach in (10_000, 20_000, 800_000)]
    alone, reused = independent_and_reused(catalog, scenarios)
    assert_same_optimum(alone, reused)
    assert carried[0] is None and carried[1] is not None and carried[2] is None   # 800,000 binds: solved
    assert reused[1].objective.bound == reused[0].objective.bound and reused[1].solver.solve_seconds == 0


def test_a_cap_sweep_runs_from_high_to_low_and_equals_independent_solves(catalog):
    base = make_scenario(SCENARIO)
    key, values = "limits.platform.tiktok.max_share", [0.2, 1.0]
    frontier = sweep(catalog, base, key=key, values=values, workers=1)
    alone = [solve(catalog, base.override({key: value}), diagnose=False) for value in values]
    assert [point.value for point in frontier.points] == values
    for point, one in zip(frontier.points, alone):
        assert point.status == one.status == "optimal"
        assert point.objective == pytest.approx(one.objective.value, rel=SCENARIO["solver"]["gap"])


@pytest.mark.parametrize(("key", "old", "new", "tightens"), [
    ("coverage.f18_24.min_reach", 10_000, 20_000, True), ("coverage.f18_24.min_reach", 20_000, 10_000, False),
    ("limits.platform.tiktok.max_share", 0.4, 0.3, True), ("budget.max", 30_000, 40_000, False),
    ("diversity.max_influencers", None, 40, True), ("targets.engagements", 1_000, 2_000, True),
    ("diversity.min_distinct.niche", 4, 5, True), ("prices.tier.micro", 1.0, 2.0, False),
    ("solver.gap", 1e-3, 1e-2, False),
])
def test_only_a_key_moved_its_tightening_way_carries_a_plan(key, old, new, tightens):
    base = make_scenario(SCENARIO, prices={"tier": {"micro": 1.0}})
    before = base if old is None else base.override({key: old})
    assert _tightened(before, base.override({key: new})) is tightens


@pytest.mark.parametrize("key", ["prices.niche.minecraft", "objective.segment_weights.minors", "tiers.mini",
                                 "audience.segments.minors", "limits.niche.minecraft.max_count"])
def test_a_group_named_like_a_bound_is_no_bound(key):
    """Only a constraint table's own min_/max_ key tightens: a price, weight, tier or population of a
    group named "mini..." or "max..." moves the objective or the groups (the last key decides)."""
    assert tighter(key) == (-1 if key.endswith("max_count") else 0)


def test_a_price_sweep_of_a_niche_named_like_a_floor_equals_independent_solves():
    """Raising minecraft's prices was taken for a raised floor: the 1.0 plan (a, $100) was carried to 3.0
    at $300 with the bound $100, where b alone costs $150."""
    catalog = make_catalog([influencer("a", 10_000, 0.05, 100, niche="minecraft"),
                            influencer("b", 10_000, 0.05, 150, niche="food")])
    scenario = make_scenario(objective={"minimize": "cost"}, targets={"engagements": 400},
                             prices={"niche": {"minecraft": 1.0}})
    reuse = Reuse()
    for multiplier, cost in [(1.0, 100), (3.0, 150)]:
        result = solve(catalog, scenario.override({"prices.niche.minecraft": multiplier}), reuse=reuse)
        assert result.objective.value == pytest.approx(cost) and result.objective.bound == pytest.approx(cost)


def test_a_comparison_on_one_catalog_reuses_what_fits_and_equals_independent_solves(catalog):
    base = make_scenario(SCENARIO)
    scenarios = [base, base.override({"coverage.f18_24.min_reach": 90_000}),
                 make_scenario(SCENARIO, filters={"platforms": ["instagram", "tiktok"]})]   # other influencers
    alone = [solve(catalog, scenario, diagnose=False) for scenario in scenarios]
    reused = dict(solve_all([catalog], [(0, scenario) for scenario in scenarios], diagnose=False, workers=1))
    assert_same_optimum(alone, [reused[position] for position in range(len(scenarios))])


def test_the_prepared_problem_is_reused_only_where_it_selects_the_same_influencers(catalog):
    base = make_scenario(SCENARIO)
    first = prepare(catalog, base)
    moved = prepare(catalog, base.override({"budget.max": 12_345}), like=first)
    assert moved.positions is first.positions and moved.scenario.budget.max == 12_345
    filtered = prepare(catalog, base.override({"filters.min_followers": 50_000}), like=first)
    alone = prepare(catalog, base.override({"filters.min_followers": 50_000}))
    assert np.array_equal(filtered.positions, alone.positions) and filtered.n < first.n
    priced = prepare(catalog, base.override({"prices.tier.micro": 2.0}), like=first)
    assert not np.array_equal(priced.cost, first.cost)


def test_a_retargeted_lp_solves_the_new_model_exactly(catalog):
    problem = prepare(catalog, make_scenario(SCENARIO))
    model = build_milp(problem)[0]
    lp = WarmLP(model)
    candidates = np.arange(0, problem.n, 3)
    lp.solve(candidates, model.lb, model.ub)
    for budget in (22_000, 35_000):
        other = build_milp(replace(problem, scenario=problem.scenario.override({"budget.max": budget})))[0]
        assert lp.fits(other)
        lp.retarget(other)
        warm = lp.solve(candidates, other.lb, other.ub)
        cold = solve_linear(other.restrict(warm.candidates)[0], mip=False)
        assert warm.objective == pytest.approx(cold.objective, rel=1e-7)
    fewer = build_milp(prepare(catalog, make_scenario(SCENARIO, filters={"min_followers": 50_000})))[0]
    assert not lp.fits(fewer)
    with pytest.raises(ValueError):
        lp.retarget(fewer)


def test_a_carried_basis_that_leaves_a_huge_proven_core_is_dropped_for_a_fresh_lp(catalog, monkeypatch):
    """At 100,000 rows a basis carried from five lower budgets left the tree unable to branch away
    from its LP vertex (70,000 influencers proven, then a 400 s MILP; none from a fresh LP). Here
    such a tree is played by a proof that returns every influencer whenever the basis is carried:
    the point is solved again from its own LP, as alone."""
    from optimizer import fast
    proofs = []
    prove = fast.prove

    def playing_stuck(model, search, root, *rest):
        proofs.append(search.lp.carried)
        return (np.arange(model.n), root.bound) if search.lp.carried else prove(model, search, root, *rest)

    monkeypatch.setattr(fast, "prove", playing_stuck)
    monkeypatch.setattr(fast, "HUGE_CORE", 10)
    base = make_scenario(SCENARIO).override({"solver.gap": 0.0})   # gap 0: the tree runs on this catalog
    alone = fast.solve_fast(prepare(catalog, base.override({"budget.max": 10_000})), direct_below=0, core_min=2)
    reuse = Reuse()
    for budget in (5_000, 10_000):
        outcome = fast.solve_fast(reuse.prepare(catalog, base.override({"budget.max": budget})), direct_below=0,
                                  core_min=2, reuse=reuse)
    assert proofs == [False, False, True, False]      # alone; the first point; carried, stuck; again, fresh
    assert outcome.status == alone.status == "optimal" and not reuse.lp.carried
    assert outcome.bound == pytest.approx(alone.bound) and (outcome.posts == alone.posts).all()
