"""A MILP solved from the neighbourhood of its LP optimum (after RENS: relaxation enforced
neighbourhood search).

The LP relaxation is solved first. The MILP restricted to its neighbourhood (every integer column
the LP leaves at 0 fixed there, every other one held within one of its LP value's floor and
ceiling) keeps only what the LP books and solves in seconds. Where its plan is within the gap of
the LP's bound, that plan is optimal within the gap for the whole MILP and no search runs;
otherwise the whole MILP runs as it would have (and where it stops early, on a time limit or
Ctrl-C, with a worse plan or none, the neighbourhood's plan is kept). The neighbourhood's MILP
gives up as soon as its proven bound shows no plan of it within the gap (`least_within_gap`): at
100,000 rows it then proved a plan 0.7% below the LP for 0.9 s where 0.1 s tells it is no use.
Unique reach with dropouts at 100,000 creators (a core MILP of 3,405 creators, 18,795 integer
columns, 6 fractional in the LP): HiGHS took 30 s (14 s of presolve, 9 s of heuristics before a
first plan), the neighbourhood 2.4 s after a 2.2 s LP, at 1.7e-5 of the LP bound. Holding the
LP's whole columns fixed instead leaves no plan at all there. Handing the neighbourhood's plan
to the whole MILP as a start (HiGHS's setSolution) helped on the hardest small models (the
flagship at a 10,000 budget 60 s -> 37 s) but slowed the ordinary ones (the flagship 1.7 s ->
4.5 s, a cap of 40 influencers at 100,000 rows 21 s -> 44 s) and changed their plans within the
gap; HiGHS 1.16 also once reported a better objective than its start while handing back the
start's values. Not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.backend import Solution
from optimizer.milp import Milp

log = logging.getLogger(__name__)

WHOLE = 1e-6
"""An LP value this close to an integer counts as that integer."""


def solve_rounded(model: Milp, solve: Callable[..., Solution], gap: float) -> Solution:
    """The MILP `model` within `gap`, from its LP's neighbourhood (module docstring); `solve(model,
    **options)` runs each solve (optimizer.backend.solve_linear's options)."""
    relaxed = solve(model, mip=False)
    if relaxed.status == "infeasible":                 # no LP plan: no plan at all
        return relaxed
    if relaxed.status != "optimal" or relaxed.values is None:
        return solve(model, gap=gap)
    rounded = solve(neighbourhood(model, relaxed.values), gap=gap, give_up_below=least_within_gap(relaxed.objective, gap))
    if log.isEnabledFor(logging.DEBUG):
        whole = relaxed.values[model.integer]
        log.debug("rounding: %d of %d integer columns fractional; LP %.6g in %.2f s, neighbourhood %s %s in %.2f s",
                  int((np.abs(whole - np.round(whole)) > WHOLE).sum()), whole.size, relaxed.objective,
                  relaxed.solve_seconds, rounded.status, rounded.objective, rounded.solve_seconds)
    if rounded.values is None:
        return solve(model, gap=gap)
    if relaxed.objective - rounded.objective <= gap * abs(rounded.objective):
        return replace(rounded, status="optimal", bound=relaxed.objective)
    whole = solve(model, gap=gap)
    if whole.status not in ("time_limit", "no_solution") or (whole.values is not None
                                                             and whole.objective >= rounded.objective):
        return whole
    # stopped (time limit, Ctrl-C) with a worse plan or none: the neighbourhood's, under what is proven
    return replace(rounded, status="time_limit", bound=relaxed.objective if whole.bound is None else whole.bound)


def least_within_gap(bound: float, gap: float) -> float:
    """The least objective z with z + gap |z| >= bound: a plan below it is not within `gap` of `bound`."""
    return bound / (1 + gap) if bound >= 0 else bound / (1 - gap)


def neighbourhood(model: Milp, values: np.ndarray) -> Milp:
    """The model with each integer column at 0 in `values` fixed there (within its bounds) and every
    other one within one of the floor and the ceiling of its value."""
    lb, ub = model.lb.copy(), model.ub.copy()
    zero = model.integer & (values <= WHOLE)
    ub[zero] = np.maximum(lb[zero], 0.0)
    used = model.integer & ~zero
    lb[used] = np.maximum(lb[used], np.floor(values[used] + WHOLE) - 1)
    ub[used] = np.minimum(ub[used], np.ceil(values[used] - WHOLE) + 1)
    return replace(model, lb=lb, ub=np.maximum(ub, lb))
