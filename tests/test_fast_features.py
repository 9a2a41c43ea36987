"""The fast path with post slots, dropouts and fees (issue 9.4) against the plain model.

The reduction is forced (`direct_below=0`, small `core_min`, and a variant that branches) on
generated catalogs of a few hundred rows with [audience] view rates, unique reach objectives and
floors, a targeted_reach objective (its outer approximation, each round by the fast path),
impressions, Bertsimas-Sim dropouts and per-booking fees. Each fast plan is checked by
the independent verifier, its value (closed form, recomputed here) must be within the gap of the
plain optimum, and its bound must hold against that optimum.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer import solve
from optimizer.audience import people_reached, unique_reach, view_rates
from optimizer.backend import solve_linear
from optimizer.build import build_milp
from optimizer.fast import lagrangian
from optimizer.problem import prepare
from optimizer.reach_solve import solve_unique_fast
from optimizer.verify import violations

GAP = 1e-4
POPULATION = 30e6
AUDIENCE = {"population": POPULATION, "segments": {"f18_24": 0.12 * POPULATION, "f25_34": 0.14 * POPULATION},
            "view_rate": {"default": 0.3, "tiktok": 0.45, "youtube": 0.2}}


@functools.cache
def frame(rows: int, seed: int, fees: bool):
    """A generated catalog, max_posts at most 4, some rows with a per-view view_rate, and fees on every 5th row."""
    data = generate_catalog(rows, seed=seed)
    data["max_posts"] = np.minimum(data["max_posts"], 4)
    data["view_rate"] = np.where(np.arange(rows) % 9 == 0, 0.6, np.nan)
    if fees:
        data["fee"] = np.where(np.arange(rows) % 5 == 0, 120.0, 0.0)
    return data


CASES = {
    "unique-reach-floors-fees": (300, 1, True, {
        "objective": {"maximize": "reach"}, "budget": {"max": 4_500}, "audience": AUDIENCE,
        "coverage": {"f18_24": {"min_reach": 100_000}, "f25_34": {"min_reach": 110_000}},
        "diversity": {"max_share_per_influencer": 0.1}}),
    "engagements-unique-floor-impressions-dropouts": (300, 2, False, {
        "objective": {"maximize": "engagements"}, "budget": {"max": 4_500}, "audience": AUDIENCE,
        "targets": {"reach": 450_000, "impressions": 400_000}, "robustness": {"dropouts": 2}}),
    "cheapest-unique-coverage-dropouts-fees": (300, 3, True, {
        "objective": {"minimize": "cost"}, "audience": AUDIENCE, "robustness": {"dropouts": 1},
        "coverage": {"f18_24": {"min_reach": 60_000}, "f25_34": {"min_reach": 70_000}}}),
    "targeted-unique-reach-floor-fees": (250, 5, True, {
        "objective": {"maximize": "targeted_reach", "segment_weights": {"f18_24": 3.0}}, "budget": {"max": 3_500},
        "audience": AUDIENCE, "targets": {"reach": 200_000}}),
    "gross-reach-engagement-floor-dropouts": (300, 4, False, {
        "objective": {"maximize": "reach"}, "budget": {"max": 4_500},
        "targets": {"engagements": 20_000}, "robustness": {"dropouts": 2}}),
}


def objective_value(catalog, scenario, posts: np.ndarray) -> float:
    """The plan's objective in maximize form, from its posts in closed form."""
    frame = catalog.frame
    if scenario.objective.metric == "cost":
        fee = frame["fee"].to_numpy(float) if "fee" in frame else np.zeros(len(frame))
        return -float(frame["cost_per_post"].to_numpy(float) @ posts + fee @ (posts > 0))
    if scenario.objective.metric == "engagements":
        return float(catalog.engagements_per_post @ posts)
    if not scenario.unique:
        return float(catalog.audience @ (posts > 0))
    rates = view_rates(catalog, scenario)
    if scenario.objective.metric == "targeted_reach":
        weights = scenario.objective.segment_weights
        return sum(weights.get(segment, 1.0) * unique_reach(people, people_reached(
            catalog.segment_audience(segment), rates, posts)) for segment, people in AUDIENCE["segments"].items())
    return unique_reach(POPULATION, people_reached(catalog.audience, rates, posts))


@functools.cache
def plain_case(name: str):
    rows, seed, fees, spec = CASES[name]
    catalog, scenario = make_catalog(frame(rows, seed, fees)), make_scenario(dict(spec, solver={"gap": GAP}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = solve(catalog, scenario, method="plain")
    assert plain.status == "optimal"
    return catalog, scenario, plain


BRANCHING = {"no": {}, "forced": {"leaf_core": 0, "max_nodes": 6}}


@pytest.mark.parametrize("branching", BRANCHING)
@pytest.mark.parametrize("name", CASES)
def test_fast_matches_plain_with_the_features(name, branching):
    catalog, scenario, plain = plain_case(name)
    problem = prepare(catalog, scenario)
    outcome = solve_unique_fast(problem, direct_below=0, core_min=20, **BRANCHING[branching])
    assert outcome.status == "optimal"
    posts = np.zeros(catalog.rows, dtype=np.int64)
    posts[problem.positions] = outcome.posts
    assert violations(catalog, scenario, posts) == []
    value = objective_value(catalog, scenario, posts)
    optimum = objective_value(catalog, scenario, plain_posts(catalog, plain))
    scale = max(abs(value), abs(optimum))
    assert abs(value - optimum) <= 1.01 * GAP * scale + 1e-6, (value, optimum)
    assert outcome.bound >= optimum - 1e-9 * scale, (outcome.bound, optimum)   # the bound is proven
    assert outcome.bound <= value + 1.01 * GAP * scale + 1e-6, (outcome.bound, value)


def plain_posts(catalog, result) -> np.ndarray:
    booked = dict(zip(result.allocation["id"], result.allocation["posts"]))
    return np.array([booked.get(i, 0) for i in catalog.frame["id"]], dtype=np.int64)


@pytest.mark.parametrize("name", list(CASES)[:3])
def test_lagrangian_prices_post_slots_and_dropout_columns(name):
    """L(pi) >= the LP optimum of the slotted, robust model for any duals, and equals it at the LP's duals."""
    catalog, scenario, _ = plain_case(name)
    model, _ = build_milp(prepare(catalog, scenario))
    assert (model.owned.slot > 0).any()
    lp = solve_linear(model, mip=False)
    assert lp.status == "optimal" and lp.duals is not None
    scale = max(1.0, abs(lp.objective))
    assert lp.objective - 1e-7 * scale <= lagrangian(model, lp.duals)[0] <= lp.objective + 1e-6 * scale
    rng = np.random.default_rng(0)
    for _ in range(20):
        noisy = lp.duals * rng.uniform(0.5, 1.5, len(lp.duals)) + rng.normal(0, 1e-3, len(lp.duals))
        assert lagrangian(model, noisy)[0] >= lp.objective - 1e-7 * scale
    assert lagrangian(model, np.zeros(model.num_rows))[0] >= lp.objective - 1e-7 * scale


def test_a_restricted_model_keeps_each_influencers_own_columns():
    catalog, scenario, _ = plain_case("engagements-unique-floor-impressions-dropouts")
    model, layout = build_milp(prepare(catalog, scenario))
    keep = np.array([3, 10, 11])
    restricted, old, _ = model.restrict(keep)
    owned = np.isin(np.arange(model.num_cols), model.owned.cols)
    mine = model.owned.cols[np.isin(model.owned.owner, keep)]
    assert set(old[2 * len(keep):]) == set(np.flatnonzero(~owned[2 * model.n:]) + 2 * model.n) | set(mine)
    assert np.array_equal(old[restricted.owned.cols], model.owned.cols[np.isin(model.owned.owner, keep)])
    assert np.array_equal(keep[restricted.owned.owner], model.owned.owner[np.isin(model.owned.owner, keep)])
    # post slots of each kept influencer, then its dropout column of each robust floor
    assert int((restricted.owned.slot > 0).sum()) == int(layout.slots[keep].sum())
    assert int((restricted.owned.slot == 0).sum()) == len(keep) * len(layout.robust)


def test_fees_and_dropouts_keep_the_fast_path():
    catalog, scenario, plain = plain_case("cheapest-unique-coverage-dropouts-fees")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no hand-over warning
        result = solve(catalog, scenario)
    assert result.solver.method == "fast"
    assert result.objective.value == pytest.approx(plain.objective.value, rel=1.01 * GAP)
