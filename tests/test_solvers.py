"""HiGHS and CBC agree within the gap on mid-size synthetic instances."""

from __future__ import annotations

import numpy as np
import pytest

from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer import solve
from optimizer.verify import violations

GAP = 1e-4

SCENARIOS = {
    "engagements": {
        "objective": {"maximize": "engagements"},
        "budget": {"max": 20_000},
        "coverage": {"f18_24": {"min_reach": 600_000}},
        "diversity": {"max_share_per_influencer": 0.1, "min_distinct": {"niche": 5}},
        "limits": {"tier": {"micro": {"min_share": 0.5}, "mega": {"max_share": 0.1}}},
    },
    "targeted_reach": {
        "objective": {"maximize": "targeted_reach", "segment_weights": {"f18_24": 3.0, "f25_34": 2.0}},
        "budget": {"max": 15_000, "min": 10_000},
        "coverage": {"m25_34": {"min_reach": 50_000}},
        "diversity": {"min_distinct": {"platform": 3}, "max_influencers": 25},
        "limits": {"tier": {"mid": {"max_share": 0.5}, "nano": {"min_count": 3}}},
    },
    "cost": {
        "objective": {"minimize": "cost"},
        "targets": {"engagements": 60_000},
        "coverage": {"f18_24": {"min_reach": 200_000}, "m35_44": {"min_reach": 40_000}},
        "diversity": {"min_distinct": {"niche": 9}, "max_share_per_influencer": 0.25},
        "limits": {"tier": {"micro": {"min_share": 0.2}}},
    },
}


@pytest.mark.parametrize("rows, seed, name", [(300, 11, "engagements"), (400, 12, "targeted_reach"),
                                              (300, 13, "cost")])
def test_highs_and_cbc_agree(rows, seed, name):
    catalog = make_catalog(generate_catalog(rows, seed))
    spec = dict(SCENARIOS[name], solver={"gap": GAP, "time_limit": 60})
    highs = solve(catalog, make_scenario(spec), method="plain")
    cbc = solve(catalog, make_scenario(dict(spec, solver={"name": "cbc", "gap": GAP, "time_limit": 60})))
    assert highs.status == cbc.status == "optimal"
    assert cbc.solver.name == "cbc" and highs.solver.name == "highs"
    h, c = highs.objective.value, cbc.objective.value
    assert abs(h - c) <= 1.01 * GAP * max(abs(h), abs(c)) + 1e-6, (h, c)
    # HiGHS's proven bound holds for CBC's plan too
    if highs.objective.bound is not None:
        if highs.objective.sense == "maximize":
            assert highs.objective.bound >= c * (1 - 1e-9)
        else:
            assert highs.objective.bound <= c * (1 + 1e-9)
    # CBC's bound, read from its log, is proven too: within the gap of its plan, and it holds for HiGHS's
    assert cbc.objective.bound is not None and cbc.objective.gap <= GAP * (1 + 1e-6)
    if cbc.objective.sense == "maximize":
        assert cbc.objective.bound >= h * (1 - 1e-9)
    else:
        assert cbc.objective.bound <= h * (1 + 1e-9)
    for result in (highs, cbc):
        posts = np.zeros(catalog.rows, dtype=np.int64)
        index = {i: k for k, i in enumerate(catalog.frame["id"])}
        for i, p in zip(result.allocation["id"], result.allocation["posts"]):
            posts[index[i]] = p
        assert violations(catalog, make_scenario(spec), posts) == []


def test_cbc_reports_infeasible():
    catalog = make_catalog(generate_catalog(200, 5))
    spec = {"budget": {"max": 1000}, "targets": {"engagements": 10_000_000}, "solver": {"name": "cbc"}}
    assert solve(catalog, make_scenario(spec)).status == "infeasible"


def test_a_thread_limit_reaches_every_highs_milp(monkeypatch):
    import pulp

    import optimizer.backend as backend

    seen: list[dict] = []
    real = pulp.HiGHS

    def recording(*args, **options):
        seen.append(options)
        return real(*args, **options)

    monkeypatch.setattr(backend.pulp, "HiGHS", recording)
    monkeypatch.setattr(backend, "_THREADS", [])
    catalog = make_catalog(generate_catalog(60, seed=3))
    scenario = make_scenario({"budget": {"max": 5_000}})
    solve(catalog, scenario, method="plain")
    assert seen and "threads" not in seen[-1]           # alone: HiGHS chooses
    backend.limit_threads(1)
    solve(catalog, scenario, method="plain")
    assert seen[-1]["threads"] == 1


def test_local_workers_share_the_cores():
    import os

    from optimizer.executors import local_pool

    pool = local_pool(2)
    try:
        assert pool._initargs[-1] == max(1, (os.cpu_count() or 1) // 2)   # each worker's HiGHS threads
    finally:
        pool.shutdown()


def test_a_highs_solve_error_after_presolve_is_solved_again_without_it():
    """The fast path's rounding MIP on these 4 creators (unique targeted reach, re-plan): HiGHS 1.16 finds
    its optimum, but the postsolved plan breaks a row by 1e-6 and it says kSolveError; that was a
    RuntimeError traceback. Solved again without presolve: the optimum of every post vector, 25,249.32."""
    import pandas as pd

    from optimizer.problem import prepare
    from optimizer.reach_solve import solve_unique_fast, targeted_value
    from optimizer.replan import with_previous

    frame = pd.DataFrame({
        "id": ["c0", "c1", "c2", "c3"], "platform": ["youtube"] * 4, "followers": [31217, 577499, 11468, 17429],
        "engagement_rate": [0.0663, 0.0117, 0.0289, 0.0576], "cost_per_post": [674.0, 6920.0, 487.0, 582.0],
        "niche": ["food", "beauty", "tech", "beauty"], "max_posts": [3, 2, 3, 3],
        "authenticity": [0.91, 0.99, 0.80, 0.68], "country": ["US", "DE", "GB", "US"],
        "aud_s1": [0.094, 0.258, 0.436, 0.175], "aud_s2": [0.305, 0.139, 0.272, 0.783]})
    catalog = make_catalog(frame)
    scenario = make_scenario({
        "objective": {"maximize": "targeted_reach"}, "budget": {"max": 6014.8}, "solver": {"gap": 1e-9},
        "audience": {"population": 767557, "segments": {"s1": 652854, "s2": 157945},
                     "view_rate": {"default": 0.7, "tiktok": 0.32}},
        "diversity": {"max_influencers": 4, "min_distinct": {"country": 2}},
        "limits": {"niche": {"beauty": {"min_share": 0.47}}}, "replan": {"max_changes": 3, "keep": ["c0"]}})
    problem = prepare(catalog, with_previous(catalog, scenario, {"c0": 2, "c2": 2, "c3": 2}))
    outcome = solve_unique_fast(problem, direct_below=0, core_min=2)
    assert outcome.status == "optimal" and list(outcome.posts) == [2, 0, 1, 3]
    assert targeted_value(problem, outcome.posts) == pytest.approx(25_249.323141314988, rel=1e-9)
