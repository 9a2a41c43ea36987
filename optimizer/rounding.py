"""A MILP solved from the neighbourhood of its LP optimum (after RENS: relaxation enforced
neighbourhood search), then from the best plan found.

1. The LP relaxation is solved first. The MILP restricted to its neighbourhood (every integer
   column the LP leaves at 0 fixed there, every other one held within one of its LP value's floor
   and ceiling) keeps only what the LP books and solves in seconds. Where its plan is within the
   gap of the LP's bound, that plan is optimal within the gap for the whole MILP and no search runs.
2. Otherwise the whole MILP runs as it is for FIRST_SECONDS: most models end there.
3. Past that, a wider neighbourhood (the LP's, plus the WIDER influencers it leaves out whose
   first post its duals price best, over their whole range) looks for a better plan, for as long.
4. The whole MILP starts again, with the best plan so far as a cutoff: HiGHS searches only for
   plans beyond its gap (its objective bound option). Where it finds none, that plan is optimal
   within the gap; the bound reported is the least of the LP's, the first run's and the cutoff.
   HiGHS's pruning needs a good plan, and its own heuristics find one late on knapsack-like models:
   the flagship at a 10,000 budget took 55 s as one run (its plan 49 s in), 15-25 s this way;
   at 15,000, 114 s against 24 s. Given from the start, the cutoff slowed easy models (the
   flagship at 45,000 and 60,000: 2.8 s -> 7.5 s), hence the first run as it is.

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
from optimizer.outcome import within_gap

log = logging.getLogger(__name__)

WHOLE = 1e-6
"""An LP value this close to an integer counts as that integer."""
FIRST_SECONDS = 4.0
"""The whole MILP runs this long as it is; past it, it starts again with the best plan's cutoff."""
WIDER = 100
"""The wider neighbourhood frees at least this many influencers the LP leaves out."""


def solve_rounded(model: Milp, solve: Callable[..., Solution], gap: float) -> Solution:
    """The MILP `model` within `gap`, from its LP's neighbourhood (module docstring); `solve(model,
    **options)` runs each solve (optimizer.backend.solve_linear's options; its `time_limit` is at
    most that long)."""
    relaxed = solve(model, mip=False)
    if relaxed.status == "infeasible":                 # no LP plan: no plan at all
        return relaxed
    if relaxed.status != "optimal" or relaxed.values is None:
        return solve(model, gap=gap)
    rounded = solve(neighbourhood(model, relaxed.values), gap=gap)
    if log.isEnabledFor(logging.DEBUG):
        whole = relaxed.values[model.integer]
        log.debug("rounding: %d of %d integer columns fractional; LP %.6g in %.2f s, neighbourhood %s %s in %.2f s",
                  int((np.abs(whole - np.round(whole)) > WHOLE).sum()), whole.size, relaxed.objective,
                  relaxed.solve_seconds, rounded.status, rounded.objective, rounded.solve_seconds)
    if rounded.values is None:
        return solve(model, gap=gap)
    if relaxed.objective - rounded.objective <= gap * abs(rounded.objective):
        return replace(rounded, status="optimal", bound=relaxed.objective)
    first = solve(model, gap=gap, time_limit=FIRST_SECONDS)
    if first.status == "optimal":
        return first
    wider = solve(neighbourhood(model, relaxed.values, widened(model, relaxed)), gap=gap, time_limit=FIRST_SECONDS)
    log.debug("rounding: the whole MILP in %.2f s: %s %s; the wider neighbourhood %s %s", first.solve_seconds,
              first.status, first.objective, wider.status, wider.objective)
    return _beyond(model, solve, gap, [plan for plan in (rounded, first, wider) if plan.values is not None],
                   min(relaxed.objective, first.bound if first.bound is not None else np.inf))


def _beyond(model: Milp, solve: Callable[..., Solution], gap: float, plans: list[Solution], bound: float) -> Solution:
    """The whole MILP again, searching only for plans beyond the gap of the best of `plans`
    (HiGHS's objective bound as a cutoff); `bound` is what is proven so far."""
    best = max(plans, key=lambda plan: plan.objective)
    threshold = within_gap(best.objective, gap)
    again = solve(model, gap=gap, cutoff=threshold)
    log.debug("rounding: the whole MILP beyond %.6g: %s %s, bound %s", threshold, again.status, again.objective,
              again.bound)
    if again.status == "cut_off":
        return replace(best, status="optimal", bound=min(bound, threshold))
    if again.bound is not None:     # HiGHS's bound holds beyond the cutoff; what it cut off is below it
        bound = min(bound, max(again.bound, threshold))
    if again.values is not None and again.objective > best.objective:
        best = again
    return replace(best, status="optimal" if again.status == "optimal" else "time_limit", bound=bound)


def neighbourhood(model: Milp, values: np.ndarray, free: np.ndarray | None = None) -> Milp:
    """The model with each integer column at 0 in `values` fixed there (within its bounds) and every
    other one within one of the floor and the ceiling of its value; the influencers `free` keep
    their whole range."""
    lb, ub = model.lb.copy(), model.ub.copy()
    zero = model.integer & (values <= WHOLE)
    used = model.integer & ~zero
    if free is not None:
        zero[free] = zero[model.n + free] = False
    ub[zero] = np.maximum(lb[zero], 0.0)
    lb[used] = np.maximum(lb[used], np.floor(values[used] + WHOLE) - 1)
    ub[used] = np.minimum(ub[used], np.ceil(values[used] - WHOLE) + 1)
    return replace(model, lb=lb, ub=np.maximum(ub, lb))


def widened(model: Milp, relaxed: Solution) -> np.ndarray:
    """The influencers the LP leaves out whose first post costs the LP least (reduced cost of x_i
    plus y_i), as many as it books and at least WIDER."""
    n = model.n
    reduced = model.obj - model.transpose_dot(relaxed.duals)
    out = np.flatnonzero(relaxed.values[n: 2 * n] <= WHOLE)
    count = max(WIDER, n - len(out))
    return out[np.argsort(-(reduced[out] + reduced[n + out]), kind="stable")[:count]]
