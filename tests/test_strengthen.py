"""Rows the fast path adds to the MILPs it hands to HiGHS (optimizer/strengthen.py)."""

from __future__ import annotations

import numpy as np

from instances import make_catalog, make_scenario
from models.synthetic import generate_catalog
from optimizer.backend import Solution, solve_linear
from optimizer.build import build_milp
from optimizer.fast import second_model
from optimizer.problem import prepare
from optimizer.strengthen import books_one_of


def small_model():
    frame = generate_catalog(60, 5)
    problem = prepare(make_catalog(frame), make_scenario({"budget": {"max": 20_000}}))
    return build_milp(problem)[0]


def first(status: str, bound: float | None) -> Solution:
    return Solution(status, None, 100.0, bound, None, 0.0, 0.0)


def test_books_one_of_forces_a_member_into_every_plan():
    model = small_model()
    unconstrained = solve_linear(model)
    booked = np.flatnonzero(unconstrained.values[model.n: 2 * model.n] > 0.5)
    outsiders = np.setdiff1d(np.arange(model.n), booked)[:5]
    forced = solve_linear(books_one_of(model, outsiders))
    assert forced.status == "optimal"
    assert forced.values[model.n + outsiders].sum() >= 1 - 1e-9
    assert forced.objective <= unconstrained.bound + 1e-6


def test_second_model_excludes_the_first_core_only_after_a_proof():
    model = small_model()
    proven, core = np.arange(0, 40), np.arange(0, 30)
    threshold = 101.0
    proved = second_model(model, proven, core, first("optimal", 100.5), threshold)
    assert proved.num_rows == model.restrict(proven)[0].num_rows + 1
    outsiders = proved.cols[proved.rows == proved.num_rows - 1]
    assert sorted(outsiders - proved.n) == list(range(30, 40))         # y of the proven core outside the first
    assert proved.lo[-1] == 1 and proved.upper[-1] is None and proved.lower[-1] is None
    for unproved in (first("time_limit", 100.5), first("optimal", 101.5), first("optimal", None)):
        assert second_model(model, proven, core, unproved, threshold).num_rows == model.restrict(proven)[0].num_rows
