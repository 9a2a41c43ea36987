"""The fast path's warm-started LPs (optimizer.warm_lp) against cold PuLP solves, and the
Farkas pricing that proves a branch infeasible."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer import fast
from optimizer.backend import solve_linear
from optimizer.fast import farkas, lagrangian
from optimizer.build import build_milp
from optimizer.problem import prepare
from optimizer.warm_lp import WarmLP

SCENARIO = {"budget": {"max": 20_000}, "coverage": {"f18_24": {"min_reach": 100_000}},
            "diversity": {"max_share_per_influencer": 0.2, "min_distinct": {"niche": 4}},
            "limits": {"tier": {"micro": {"min_share": 0.3}}, "platform": {"tiktok": {"max_share": 0.4}}}}


@pytest.fixture(scope="module")
def model():
    problem = prepare(make_catalog(generate_catalog(600, 11)), make_scenario(SCENARIO))
    return build_milp(problem)[0]


def cold(model, candidates, lb, ub):
    """The same LP through PuLP, built from scratch."""
    return solve_linear(replace(model, lb=lb, ub=ub).restrict(candidates)[0], mip=False)


def test_warm_solves_match_cold_ones_as_bounds_change_and_candidates_grow(model):
    lp = WarmLP(model)
    rng = np.random.default_rng(3)
    candidates = np.sort(rng.choice(model.n, 250, replace=False))
    for step in range(12):
        lb, ub = model.lb.copy(), model.ub.copy()
        fixed = rng.choice(model.n, 5, replace=False)
        ub[fixed] = np.floor(ub[fixed] / 2)                      # fewer posts for a few
        unbooked = rng.choice(model.n, 5, replace=False)
        ub[unbooked] = ub[model.n + unbooked] = 0                # a few not booked (as a branch says it)
        if step % 4 == 3:                                        # and now and then more candidates
            candidates = np.union1d(candidates, rng.choice(model.n, 60, replace=False))
        warm = lp.solve(candidates, lb, ub)
        assert np.array_equal(warm.candidates, candidates)
        reference = cold(model, candidates, lb, ub)
        if reference.status == "infeasible":
            assert warm.objective is None
            continue
        scale = max(1.0, abs(reference.objective))
        assert warm.objective == pytest.approx(reference.objective, rel=1e-7, abs=1e-7)
        # the duals are in the maximize convention: they make the Lagrangian bound the LP optimum
        restricted, _, rows = replace(model, lb=lb, ub=ub).restrict(candidates)
        bound = lagrangian(restricted, warm.duals[rows])[0]
        assert bound == pytest.approx(warm.objective, abs=1e-6 * scale)
        # the values are the restricted model's columns in its order (new ones were added at HiGHS's end)
        assert restricted.obj @ warm.values == pytest.approx(warm.objective, abs=1e-6 * scale)
        activity = restricted.activity(warm.values)
        slack = 1e-6 * np.maximum(1.0, np.abs(activity))
        assert np.all(activity >= restricted.lo - slack) and np.all(activity <= restricted.hi + slack)
        assert np.all(warm.values >= restricted.lb - 1e-9) and np.all(warm.values <= restricted.ub + 1e-9)


def test_an_lp_asked_on_fewer_candidates_keeps_the_ones_seen(model):
    lp = WarmLP(model)
    wide = np.arange(0, model.n, 2)
    lp.solve(wide, model.lb, model.ub)
    narrow = lp.solve(wide[:50], model.lb, model.ub)
    assert np.array_equal(narrow.candidates, wide)


def test_farkas_proves_an_infeasible_branch_and_prices_a_restricted_one(model):
    n = model.n
    lb, ub = model.lb.copy(), model.ub.copy()
    ub[n: 2 * n] = 0.0                       # nobody may be booked: coverage is out of reach
    ub[:n] = 0.0
    lp = WarmLP(model)
    everyone = np.arange(n)
    infeasible = lp.solve(everyone[:100], lb, ub)
    assert infeasible.objective is None and infeasible.duals is not None
    proven, entering = farkas(replace(model, lb=lb, ub=ub), infeasible.duals, infeasible.candidates)
    assert proven and len(entering) == 0

    # on the unrestricted model, a handful of candidates cannot reach the coverage floor, but
    # the influencers outside can: the ray proves nothing and names some of them to add
    few = np.argsort(model.obj[:n])[:3]                         # the three least engaging influencers
    restricted = WarmLP(model).solve(np.sort(few), model.lb, model.ub)
    assert restricted.objective is None
    proven, entering = farkas(model, restricted.duals, restricted.candidates)
    assert not proven and len(entering) > 0 and not np.isin(entering, few).any()


def test_a_failing_lp_falls_back_to_the_plain_path(monkeypatch):
    """HiGHS ending an LP in a status the fast path cannot use: the whole model is solved
    instead, with a warning, and the result says so."""
    import highspy

    from optimizer import solve
    from optimizer.warm_lp import WarmLP as Engine

    monkeypatch.setattr(Engine, "_run", lambda self: highspy.HighsModelStatus.kUnknown)
    catalog = make_catalog(generate_catalog(1800, 5))
    scenario = make_scenario({"budget": {"max": 15_000}})
    with pytest.warns(UserWarning, match="solving the whole model instead"):
        result = solve(catalog, scenario)
    assert result.status == "optimal" and result.solver.method == "plain"
    assert result.objective.value == pytest.approx(solve(catalog, scenario, method="plain").objective.value)


FARKAS_SPEC = {"budget": {"max": 30_000}, "diversity": {"max_influencers": 6},
               "coverage": {"f18_24": {"min_reach": 600_000}}, "targets": {"reach": 3_000_000},
               "solver": {"gap": 1e-4, "time_limit": 60}}


@pytest.fixture(scope="module")
def reach_floor():
    """A catalog and a scenario whose floors two candidates cannot meet, with the plain optimum."""
    from optimizer import solve

    catalog, scenario = make_catalog(generate_catalog(1200, 3)), make_scenario(FARKAS_SPEC)
    return catalog, scenario, solve(catalog, scenario, method="plain").objective.value


@pytest.mark.parametrize("ray", ["priced", "missing"])
def test_column_generation_from_an_infeasible_start(monkeypatch, reach_floor, ray):
    """Starting from two candidates, the LP has no plan: the Farkas ray names the influencers
    that could help (or, without a ray, the rankings widen the set) until it has one."""
    catalog, scenario, optimum = reach_floor
    calls = []
    real = fast.farkas

    def spy(model, ray_values, candidates):
        found = real(model, ray_values, candidates) if ray == "priced" else (False, np.zeros(0, dtype=np.int64))
        calls.append(found)
        return found

    monkeypatch.setattr(fast, "FIRST_CANDIDATES", 2)
    monkeypatch.setattr(fast, "farkas", spy)
    outcome = fast.solve_fast(prepare(catalog, scenario), direct_below=0, core_min=20)
    assert calls, "the first restricted LP should have had no plan"
    if ray == "priced":
        assert any(len(entering) > 0 for _, entering in calls)
    assert not any(proven for proven, _ in calls)
    assert outcome.status == "optimal"
    engagements = float(prepare(catalog, scenario).engagements @ outcome.posts)
    assert engagements == pytest.approx(optimum, rel=1.01e-4)


def test_farkas_proves_an_infeasible_scenario_on_the_fast_path(monkeypatch):
    """More reach than the catalog holds: the first ray proves it, from two candidates."""
    catalog = make_catalog(generate_catalog(1200, 3))
    spec = dict(FARKAS_SPEC, targets={"reach": 1e12})       # more reach than the whole catalog has
    problem = prepare(catalog, make_scenario(spec))
    proofs = []
    real = fast.farkas

    def spy(*args):
        found = real(*args)
        proofs.append(found[0])
        return found

    monkeypatch.setattr(fast, "FIRST_CANDIDATES", 2)
    monkeypatch.setattr(fast, "farkas", spy)
    assert fast.solve_fast(problem, direct_below=0).status == "infeasible"
    assert proofs[-1], "the last ray should prove the whole LP infeasible"
    assert len(proofs) < 5, "without pricing every influencer in turn"
