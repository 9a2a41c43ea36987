"""The one module that speaks PuLP: hand a Milp to HiGHS (in-process) or CBC.
(The fast path's LP relaxations go to HiGHS directly: `optimizer.warm_lp`.)

Statuses come from the solvers' own figures, never from PuLP's `LpStatus` alone: a
HiGHS run stopped by its time limit is "Optimal" to PuLP (see shared/PULP_NOTES.md).
"""

from __future__ import annotations

import functools
import math
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from optimizer.milp import Milp

STOPPED = {"kTimeLimit", "kIterationLimit", "kInterrupt", "kSolutionLimit", "kObjectiveBound", "kObjectiveTarget"}


@dataclass(frozen=True)
class Solution:
    """What a solver returned, in the model's maximize form."""

    status: str                   # optimal | time_limit | infeasible | no_solution | cut_off
    values: np.ndarray | None     # one per column
    objective: float | None
    bound: float | None           # proven upper bound (None where the solver does not say)
    duals: np.ndarray | None      # LP only: pi with reduced costs obj - A^T pi
    build_seconds: float
    solve_seconds: float


def solve_linear(model: Milp, *, solver: str = "highs", mip: bool = True,
                 time_limit: float | None = None, gap: float = 1e-4, cutoff: float | None = None) -> Solution:
    """Build the PuLP problem from the arrays and solve it.

    With a `cutoff` (HiGHS only), plans worth no more than it are pruned, and status
    "cut_off" means the solver proved that no plan is worth more.
    """
    started = time.perf_counter()
    problem, variables, constraints = _build(model, mip)
    built = time.perf_counter()
    if solver == "highs":
        silence_highs_banner()
        extra = {} if cutoff is None else {"objective_bound": -cutoff}
        if time_limit is not None:
            extra.update(_deadline(time_limit))
        options = pulp.HiGHS(msg=False, mip=mip, gapRel=gap, timeLimit=time_limit, **extra)
        problem.solve(options)
        status, objective, bound = _highs_status(problem, mip, cutoff)
    else:
        options = pulp.COIN_CMD(path=pulp_cbc_path, msg=False, mip=mip, gapRel=gap, timeLimit=time_limit)
        problem.solve(options)
        status, objective, bound = _cbc_status(problem)
    solved = time.perf_counter()
    values = None
    if status in ("optimal", "time_limit"):
        values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
    duals = _duals(model, constraints) if (not mip and status == "optimal") else None
    return Solution(status, values, objective, bound, duals, built - started, solved - built)


def _deadline(seconds: float) -> dict:
    """HiGHS options that interrupt it once `seconds` have passed: on large models its own
    time limit is checked loosely (60 s became 97 s at 100,000 influencers)."""
    deadline = time.perf_counter() + seconds

    def interrupt(kind, message, data_out, data_in, user_data) -> None:
        if time.perf_counter() > deadline:
            data_in.user_interrupt = True

    kinds = highspy.cb.HighsCallbackType
    return {"callbackTuple": (interrupt, None),
            "callbacksToActivate": [kinds.kCallbackSimplexInterrupt, kinds.kCallbackIpmInterrupt,
                                    kinds.kCallbackMipInterrupt]}


@functools.cache
def silence_highs_banner() -> None:
    """HiGHS prints a banner on stdout from its first instance, whatever its options: swallow it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _build(model: Milp, mip: bool) -> tuple[pulp.LpProblem, list, list]:
    """An LpProblem with one variable per column and one or two constraints per row."""
    problem = pulp.LpProblem("influmix", pulp.LpMaximize)
    width = len(str(model.num_cols))
    variables = [
        problem.add_variable(f"v{j:0{width}d}", _finite(lb), _finite(ub),
                             pulp.LpInteger if (integer and mip) else pulp.LpContinuous)
        for j, (lb, ub, integer) in enumerate(zip(model.lb.tolist(), model.ub.tolist(), model.integer.tolist()))
    ]
    nonzero = np.flatnonzero(model.obj)
    problem.setObjective(pulp.LpAffineExpression([(variables[j], float(model.obj[j])) for j in nonzero]))
    order = np.argsort(model.rows, kind="stable")
    starts = np.searchsorted(model.rows[order], np.arange(model.num_rows + 1))
    cols, vals = model.cols[order].tolist(), model.vals[order].tolist()
    constraints = []
    for r, (lo, hi) in enumerate(zip(model.lo.tolist(), model.hi.tolist())):
        a, b = starts[r], starts[r + 1]
        terms = [(variables[c], v) for c, v in zip(cols[a:b], vals[a:b])]
        pair = []
        if lo == hi:
            pair.append(_add(problem, terms, pulp.LpConstraintEQ, lo, f"r{r}"))
        else:
            if math.isfinite(lo):
                pair.append(_add(problem, terms, pulp.LpConstraintGE, lo, f"r{r}_lo"))
            if math.isfinite(hi):
                pair.append(_add(problem, terms, pulp.LpConstraintLE, hi, f"r{r}_hi"))
        constraints.append(pair)
    return problem, variables, constraints


def _add(problem: pulp.LpProblem, terms: list, sense: int, rhs: float, name: str) -> pulp.LpConstraint:
    constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs)
    problem.addConstraint(constraint)
    return constraint


def _finite(bound: float) -> float | None:
    return bound if math.isfinite(bound) else None


def _highs_status(problem: pulp.LpProblem, mip: bool,
                  cutoff: float | None) -> tuple[str, float | None, float | None]:
    """Status, objective and bound from HiGHS itself (PuLP hands it the negated objective)."""
    highs = problem.solverModel
    name = highs.getModelStatus().name
    info = highs.getInfo()
    has_plan = info.primal_solution_status == 2
    if cutoff is not None and not has_plan and name in ("kInfeasible", "kObjectiveBound"):
        return "cut_off", None, cutoff
    if name == "kOptimal":
        status = "optimal"
    elif name in ("kInfeasible", "kUnboundedOrInfeasible"):
        return "infeasible", None, None
    elif name in STOPPED:
        status = "time_limit" if has_plan else "no_solution"
    else:
        raise RuntimeError(f"HiGHS stopped with status {name}")
    if status == "no_solution":
        return status, None, None
    objective = 0.0 - info.objective_function_value          # 0.0 - x: never a negative zero
    bound = 0.0 - info.mip_dual_bound if mip else objective
    return status, objective, bound


def _cbc_status(problem: pulp.LpProblem) -> tuple[str, float | None, float | None]:
    """Status from PuLP's solution status; CBC's bound is not exposed (only optimal claims one)."""
    sol_status = problem.sol_status
    if sol_status == pulp.LpSolutionOptimal:
        value = pulp.value(problem.objective) or 0.0
        return "optimal", value, None
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limit", pulp.value(problem.objective) or 0.0, None
    if sol_status in (pulp.LpSolutionInfeasible, pulp.LpSolutionUnbounded):
        return "infeasible", None, None
    if problem.status == pulp.LpStatusInfeasible:    # found in CBC's presolve
        return "infeasible", None, None
    return "no_solution", None, None


def _duals(model: Milp, constraints: list[list[pulp.LpConstraint]]) -> np.ndarray:
    """Row duals in the maximize convention (HiGHS reports them for the negated problem)."""
    return -np.array([sum(c.pi or 0.0 for c in pair) for pair in constraints])
