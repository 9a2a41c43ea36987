"""The fast path (LP pricing, Lagrangian bound, MILP on a core) against the plain MILP.

The reduction is forced (`direct_below=0`, small `core_min`) on instances of 200..3000 rows,
including ones built to defeat it: exact ties, tight floors, every niche required, count
floors per group, included ids, minimize cost, reach objectives, tight spend shares filled
by expensive creators.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from instances import make_catalog, make_scenario, random_frame
from reference import Reference
from models.synthetic import NICHES, generate_catalog
from optimizer import fast, solve
from optimizer.backend import solve_linear
from optimizer.fast import DIRECT_BELOW, lagrangian, solve_fast
from optimizer.build import build_milp
from optimizer.problem import prepare
from optimizer.verify import violations

GAP = 1e-4


def duplicated(rows: int, copies: int, seed: int) -> pd.DataFrame:
    """`rows` distinct creators, each repeated `copies` times under new ids: exact ties everywhere."""
    base = generate_catalog(rows, seed)
    frame = pd.concat([base] * copies, ignore_index=True)
    frame["id"] = [f"d{k}" for k in range(len(frame))]
    frame["name"] = frame["id"]
    return frame


def reachable(frame: pd.DataFrame, segment: str, budget: float) -> float:
    """Segment reach of a greedy plan (best segment reach per dollar, one post each) within the budget."""
    audience = frame["followers"] * frame["authenticity"] * frame[f"aud_{segment}"]
    order = (audience / frame["cost_per_post"]).sort_values(ascending=False).index
    spent = reached = 0.0
    for i in order:
        if spent + frame.at[i, "cost_per_post"] <= budget:
            spent += frame.at[i, "cost_per_post"]
            reached += audience[i]
    return reached


def cases():
    ties = duplicated(150, 8, 1)                       # 1,200 rows in groups of 8 identical creators
    big = generate_catalog(3000, 2)
    mid = generate_catalog(1200, 3)
    small = generate_catalog(200, 4)
    niche_min_count = {niche: {"min_count": 2} for niche in NICHES}
    worst = mid.assign(value=mid["followers"] * mid["engagement_rate"] / mid["cost_per_post"])
    worst = worst[worst["cost_per_post"] <= 1000]
    poor = list(worst.sort_values("value")["id"][:4])  # the worst value per dollar among affordable rows
    knapsack = generate_catalog(2500, 7)
    return [
        ("ties-engagements", ties, {"budget": {"max": 25_000}, "coverage": {"f18_24": {"min_reach": 300_000}}}),
        ("ties-reach-distinct", ties, {"objective": {"maximize": "reach"}, "budget": {"max": 10_000},
                                       "diversity": {"min_distinct": {"niche": 10}, "max_influencers": 30}}),
        ("tight-coverage", mid, {"budget": {"max": 20_000},
                                 "coverage": {"m13_17": {"min_reach": 0.97 * reachable(mid, "m13_17", 20_000)}}}),
        ("every-niche-min-count", mid, {"budget": {"max": 15_000}, "diversity": {"min_distinct": {"niche": 10}},
                                        "limits": {"niche": niche_min_count}}),
        ("included-poor-value", mid, {"budget": {"max": 12_000}, "selection": {"include": poor},
                                      "diversity": {"max_share_per_influencer": 0.15}}),
        ("minimize-cost", mid, {"objective": {"minimize": "cost"}, "targets": {"engagements": 150_000},
                                "coverage": {"f25_34": {"min_reach": 400_000}},
                                "diversity": {"min_distinct": {"platform": 3}}}),
        ("reach-3000", big, {"objective": {"maximize": "reach"}, "budget": {"max": 20_000},
                             "limits": {"tier": {"micro": {"min_share": 0.4}, "nano": {"max_count": 20}}}}),
        # tight spend shares filled by expensive creators: the LP takes one of them in part, and a
        # plan must replace it by other large ones that a small core ranked by total loss misses
        ("share-knapsack", knapsack, {"budget": {"max": 40_000}, "diversity": {"max_share_per_influencer": 0.1},
                                      "limits": {"tier": {"micro": {"min_share": 0.3}, "mega": {"max_share": 0.2}},
                                                 "platform": {"tiktok": {"max_share": 0.25}}}}),
        ("targeted-small", small, {"objective": {"maximize": "targeted_reach",
                                                 "segment_weights": {"f18_24": 4.0}},
                                   "budget": {"max": 5_000, "min": 4_000},
                                   "limits": {"platform": {"tiktok": {"min_share": 0.3}}}}),
    ]


CASES = cases()


@functools.cache
def plain_case(name: str):
    """Catalog, scenario, spec and plain-path Result of a case (solved once per session)."""
    frame, spec = next((f, s) for n, f, s in CASES if n == name)
    spec = dict(spec, solver={"gap": GAP, "time_limit": 60})
    catalog, scenario = make_catalog(frame), make_scenario(spec)
    return catalog, scenario, spec, solve(catalog, scenario, method="plain")


def maximize_form(value: float, spec: dict) -> float:
    return -value if spec.get("objective", {}).get("minimize") == "cost" else value


def check_fast_path(name: str, frame: pd.DataFrame, spec: dict, **options):
    """Solve a case by the fast path with the reduction forced; check that its plan is feasible,
    optimal within the gap and that its bound holds. Returns the problem, the outcome, the
    plan's value, the optimum (maximize form) and their scale."""
    catalog, scenario, spec, plain = plain_case(name)
    assert plain.status == "optimal"
    optimum = maximize_form(plain.objective.value, spec)
    problem = prepare(catalog, scenario)
    outcome = solve_fast(problem, direct_below=0, core_min=20, **options)
    assert outcome.status == "optimal"
    posts = np.zeros(catalog.rows, dtype=np.int64)
    posts[problem.positions] = outcome.posts
    assert violations(catalog, scenario, posts) == []
    reference = Reference(frame, spec)
    assert reference.feasible(posts[None, :])[0]
    value = maximize_form(float(reference.objective(posts[None, :])[0]), spec)
    scale = max(abs(value), abs(optimum))
    assert abs(value - optimum) <= 1.01 * GAP * scale + 1e-6, (value, optimum)
    # the fast path's bound is proven: no plan, the plain one included, beats it
    assert outcome.bound is not None
    assert outcome.bound >= optimum - 1e-9 * scale, (outcome.bound, optimum)
    return problem, outcome, value, optimum, scale


BRANCHING = {"no": {}, "forced": {"leaf_core": 0, "max_nodes": 8}}


@pytest.mark.parametrize("branching", BRANCHING)
@pytest.mark.parametrize("name, frame, spec", CASES, ids=[c[0] for c in CASES])
def test_fast_matches_plain(name, frame, spec, branching):
    # "forced" splits every branch (up to 8) however small its proven core, so that the
    # branch-and-bound proof runs even on these small catalogs
    problem, outcome, value, optimum, scale = check_fast_path(name, frame, spec, **BRANCHING[branching])
    assert outcome.bound <= value + 1.01 * GAP * scale + 1e-6, (outcome.bound, value)

    # and through solve() (its own reduction from DIRECT_BELOW rows on) the same numbers arrive, in the
    # scenario's sense; below DIRECT_BELOW solve() runs the plain MILP, already checked above
    if problem.n < DIRECT_BELOW:
        return
    catalog, scenario, spec, plain = plain_case(name)
    fast = solve(catalog, scenario, method="fast")
    assert abs(maximize_form(fast.objective.value, spec) - optimum) <= 1.01 * GAP * scale + 1e-6
    if fast.objective.sense == "maximize":
        assert fast.objective.bound >= plain.objective.value - 1e-9 * scale
    else:
        assert fast.objective.bound <= plain.objective.value + 1e-9 * scale


@pytest.mark.parametrize("name, frame, spec", [CASES[i] for i in (0, 3, 5, 7, 8)],
                         ids=[CASES[i][0] for i in (0, 3, 5, 7, 8)])
def test_lagrangian_bounds_the_lp(name, frame, spec):
    """L(pi) >= the LP optimum for any duals (weak duality), and equals it at the LP's own duals."""
    problem = prepare(make_catalog(frame), make_scenario(dict(spec, solver={"gap": GAP})))
    model, _ = build_milp(problem)
    lp = solve_linear(model, mip=False)
    assert lp.status == "optimal" and lp.duals is not None
    scale = max(1.0, abs(lp.objective))
    bound, block, booked = lagrangian(model, lp.duals)
    assert bound >= lp.objective - 1e-7 * scale
    assert bound <= lp.objective + 1e-6 * scale, "the LP duals should make the bound tight (strong duality)"
    assert np.all(block >= booked - 1e-9) or np.any(problem.included)
    rng = np.random.default_rng(0)
    for _ in range(20):
        noisy = lp.duals * rng.uniform(0.5, 1.5, len(lp.duals)) + rng.normal(0, 1e-3, len(lp.duals))
        assert lagrangian(model, noisy)[0] >= lp.objective - 1e-7 * scale
    assert lagrangian(model, np.zeros(model.num_rows))[0] >= lp.objective - 1e-7 * scale


@pytest.mark.parametrize("name, frame, spec", [CASES[1], CASES[5]], ids=[CASES[1][0], CASES[5][0]])
def test_column_generation_cut_short(monkeypatch, name, frame, spec):
    """Column generation stopped by MAX_ROUNDS before it converges still gives a valid bound and the optimum.

    The Lagrangian bound holds for any duals (module docstring of optimizer.fast), so stopping
    early may only make the core larger, never the answer wrong.
    """
    from optimizer import fast

    monkeypatch.setattr(fast, "MAX_ROUNDS", 1)
    check_fast_path(name, frame, spec)


def test_core_orders_rank_large_efficient_influencers_by_loss_per_dollar():
    """A large influencer that loses little per dollar (it can replace a fractional one in a
    tight share) trails many tiny ones by total loss, but leads them by loss per dollar."""
    from types import SimpleNamespace

    from optimizer.fast import core_orders

    tiny, large = 50, 50                      # positions 0..49 tiny, 50 the large one
    cost = np.array([10.0] * tiny + [1854.0])
    max_posts = np.array([6] * tiny + [2])
    loss = np.array([30.0] * tiny + [804.0])  # 0.5 per dollar against 0.22 per dollar
    problem = SimpleNamespace(cost=cost)
    root = SimpleNamespace(bound=1000.0, potential=1000.0 - loss)
    by_loss, by_loss_per_dollar = core_orders(problem, root, max_posts)
    assert by_loss[-1] == large and by_loss_per_dollar[0] == large


@pytest.mark.parametrize("name, frame, spec", [CASES[2], CASES[6]], ids=[CASES[2][0], CASES[6][0]])
def test_tree_out_of_time_leaves_its_open_branches_to_the_final_milp(monkeypatch, name, frame, spec):
    """With no time for the tree, every open branch is a leaf: the answer is still the optimum."""
    from optimizer import fast

    monkeypatch.setattr(fast, "TREE_SECONDS", 0.0)
    check_fast_path(name, frame, spec, leaf_core=0)


def test_partial_rankings_match_the_full_sort():
    """The first `count` by a partition score as the first `count` of the full sort, highest
    first; the positions outside a set are its complement."""
    from optimizer.fast import _best_first, _outside_of

    score = np.random.default_rng(3).integers(0, 50, size=2_000).astype(float)
    full = _best_first(score, None)
    assert np.array_equal(full, np.argsort(-score, kind="stable"))
    for count in (1, 37, 500, 1_999):
        part = _best_first(score, count)
        assert len(part) == count and np.array_equal(score[part], score[full[:count]])
        assert np.all(np.diff(score[part]) <= 0)
    assert np.array_equal(_outside_of(np.array([0, 3, 4]), 6), np.array([1, 2, 5]))


def test_nobody_eligible_needs_no_relaxation():
    """With every row filtered out the fast path (even forced) solves the empty model directly."""
    import warnings

    frame = random_frame(np.random.default_rng(5), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # "no row of the catalog is eligible"
        problem = prepare(make_catalog(frame), make_scenario({"budget": {"max": 1000},
                                                              "filters": {"min_followers": 10**9}}))
    assert problem.n == 0
    outcome = solve_fast(problem, direct_below=0)
    assert outcome.status == "optimal" and not outcome.posts.any()


def test_no_solve_starts_once_the_time_limit_has_passed(monkeypatch):
    """A large core's model takes seconds to build and presolve whatever its limit: past the limit the
    fast path's solves end at once without a plan."""
    monkeypatch.setattr(fast, "solve_linear", lambda *args, **options: pytest.fail("a solve started"))
    assert fast.Clock(0.0).solve(None, gap=1e-4).status == "no_solution"
