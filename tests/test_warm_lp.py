"""The fast path's warm-started LPs (optimizer.warm_lp) against cold PuLP solves, and the
Farkas pricing that proves a branch infeasible."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from helpers import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer.backend import solve_linear
from optimizer.fast import farkas, lagrangian
from optimizer.model import build_model
from optimizer.problem import prepare
from optimizer.warm_lp import WarmLP

SCENARIO = {"budget": {"max": 20_000}, "coverage": {"f18_24": {"min_reach": 100_000}},
            "diversity": {"max_share_per_influencer": 0.2, "min_distinct": {"niche": 4}},
            "limits": {"tier": {"micro": {"min_share": 0.3}}, "platform": {"tiktok": {"max_share": 0.4}}}}


@pytest.fixture(scope="module")
def model():
    problem = prepare(make_catalog(generate_catalog(600, 11)), make_scenario(SCENARIO))
    return build_model(problem)[0]


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
