"""One name per constraint: the scenario key on the model's rows, in the verifier's rows and in
the diagnosis is the same, for every kind the registry holds."""

from __future__ import annotations

import numpy as np

from instances import influencer, make_catalog, make_scenario
from optimizer import solve
from optimizer.build import LOOSE, TIGHT, build_milp
from optimizer.checks import Plan
from optimizer.milp import LOWER, UPPER
from optimizer.problem import prepare
from optimizer.registry import KINDS

EVERY_KIND = {
    "budget": {"max": 5000, "min": 100},
    "targets": {"engagements": 100, "reach": 1000, "max_cpe": 1.0},
    "coverage": {"f": {"min_reach": 100}},
    "diversity": {"max_share_per_influencer": 0.9, "min_influencers": 2, "max_influencers": 5,
                  "min_distinct": {"niche": 2}},
    "limits": {"tier": {"micro": {"min_share": 0.1, "max_share": 0.9, "min_count": 1, "max_count": 4}},
               "platform": {"tiktok": {"max_count": 3}}},
    "selection": {"include": ["b"]},
}


def rows() -> list[dict]:
    return [influencer("a", 20_000, 0.04, 400, niche="beauty", aud_f=0.5),
            influencer("b", 30_000, 0.03, 500, niche="food", aud_f=0.2, platform="tiktok"),
            influencer("c", 5_000, 0.05, 100, niche="tech", aud_f=0.3)]


def model_keys(presolve) -> dict[str, int]:
    """Each scenario key the model's rows carry, with its side."""
    problem = prepare(make_catalog(rows()), make_scenario(EVERY_KIND))
    model, _ = build_milp(problem, presolve)
    return {bound.key: bound.side for bound in model.lower + model.upper if bound is not None}


def test_model_rows_and_verifier_rows_carry_the_same_keys():
    result = solve(make_catalog(rows()), make_scenario(EVERY_KIND))
    assert result.status == "optimal"
    names = [row.name for row in result.constraints]
    keys = model_keys(TIGHT)
    assert set(keys) == set(names)
    assert all(keys[row.name] == (LOWER if row.sense == ">=" else UPPER) for row in result.constraints)
    assert len(names) == len(set(names)) == 15


def test_the_loose_model_adds_the_includes_as_rows():
    assert set(model_keys(LOOSE)) == set(model_keys(TIGHT)) | {"selection.include"}


def test_every_registered_kind_yields_rows_and_checks():
    problem = prepare(make_catalog(rows()), make_scenario(EVERY_KIND))
    _, layout = build_milp(problem)
    plan = Plan(problem.catalog, problem.scenario, np.ones(3, dtype=np.int64))
    for kind in KINDS:
        block, checked = kind.build(problem, layout), kind.check(plan)
        assert block is not None and checked, kind.keys
        carried = {b.key for b in block.lower + block.upper if b is not None}
        assert carried == {row.name for row in checked}, kind.keys
