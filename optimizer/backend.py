"""The one module that speaks PuLP: hand a Milp to HiGHS (in-process) or CBC.
(The fast path's LP relaxations go to HiGHS directly: `optimizer.warm_lp`.)

Statuses come from the solvers' own figures, never from PuLP's `LpStatus` alone: a
HiGHS run stopped by its time limit is "Optimal" to PuLP (see shared/PULP_NOTES.md).
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from models.errors import InfluError
from optimizer.control import PROGRESS_SECONDS, Interrupted, check_stop, report_progress, stop_requested
from optimizer.milp import Milp

CBC_PATH = pulp_cbc_path
LARGEST = 1e15
"""HiGHS's `large_matrix_value`: no constraint coefficient of a model may reach it."""
CBC_GRACE = 5.0
"""Seconds past its time limit after which a CBC that ignores the limit is stopped."""
CBC_STOP_WAIT = 2.0
"""Seconds CBC gets to write its best plan after SIGINT before it is killed."""
CBC_FIGURE = re.compile(r"^(Objective value|Upper bound):\s+(\S+)", re.MULTILINE)
"""The plan's value and the proven bound in the summary CBC prints at its end (run with -max)."""
STOP_WAIT = 1.0
"""Seconds HiGHS gets to return after a stop request before its best plan so far is taken."""
LIMIT_GRACE = 5.0
"""Seconds HiGHS gets past its time limit before its best plan so far is taken (its own limit and
its callbacks are not checked in its presolve and sub-MIPs)."""
NO_PLAN_GRACE = 0.5
"""While it has reported no plan, HiGHS gets this share of its limit past it instead (at least
LIMIT_GRACE): no plan is the worst answer, and the plain path at 100,000 rows, limited to 120 s,
returns its first plan just past the limit."""
NO_PLAN_GRACE_MAX = 60.0
"""Seconds past its limit that NO_PLAN_GRACE gives at most: a 600 s limit waits 60 s more, not 300."""
_THREADS: list[int] = []
"""The HiGHS thread count of this process's MILPs when set (`limit_threads`); HiGHS's own choice otherwise."""
STOPPED = {"kTimeLimit", "kIterationLimit", "kInterrupt", "kSolutionLimit", "kObjectiveBound", "kObjectiveTarget"}


def limit_threads(threads: int) -> None:
    """Give each HiGHS MILP of this process at most `threads` threads: a worker process that shares the
    machine's cores with other workers (the flagship's re-solves, two workers on 2 cores: 21 s -> 17 s
    for three each; alone, one thread slows the hard MILPs, 56 s -> 80 s for the flagship at 10,000)."""
    _THREADS[:] = [threads]


class SolverFailure(InfluError):
    """A solver that failed, or a model it cannot take: one line, never a traceback."""


class PostsolveError(RuntimeError):
    """HiGHS's kSolveError with presolve on: its optimum, postsolved, broke a row by more than its
    tolerance (seen on a 25-column MIP whose presolve left 3 columns); solved again without presolve."""


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


def solve_linear(model: Milp, *, solver: str = "highs", mip: bool = True, time_limit: float | None = None,
                 gap: float = 1e-4, cutoff: float | None = None, give_up_below: float | None = None) -> Solution:
    """Build the PuLP problem from the arrays and solve it.

    With a `cutoff` (HiGHS only), plans worth no more than it are pruned, and status
    "cut_off" means the solver proved that no plan is worth more. With `give_up_below` (HiGHS
    only), a MILP whose proven bound falls below it stops there (status time_limit with its best
    plan, or no_solution): it can no longer find the plan it was solved for. Once a stop is requested
    (`optimizer.control`) a running solve ends with what it has, and a new one does not
    start (status no_solution). A solver that fails raises SolverFailure.
    """
    started = time.perf_counter()
    if stop_requested():
        return Solution("no_solution", None, None, None, None, 0.0, 0.0)
    if (model.lb > model.ub).any():               # a column with no value at all: no plan exists
        return Solution("infeasible", None, None, None, None, 0.0, 0.0)
    check_representable(model)
    try:
        problem, variables, constraints = _build(model, mip)
    except Interrupted:                            # a stop requested while the model was built
        return Solution("no_solution", None, None, None, None, time.perf_counter() - started, 0.0)
    built = time.perf_counter()
    values = None
    if solver == "highs":
        try:
            status, objective, bound, values = _solve_highs(problem, mip, gap, time_limit, cutoff, give_up_below)
        except PostsolveError:        # HiGHS's own optimum, postsolved, broke a row by its tolerance: once more
            problem, variables, constraints = _build(model, mip)        # without presolve
            status, objective, bound, values = _solve_highs(problem, mip, gap, time_limit, cutoff, give_up_below,
                                                            presolve=False)
    else:
        status, objective, bound = _solve_cbc(problem, mip, gap, time_limit)
    solved = time.perf_counter()
    if values is None and status in ("optimal", "time_limit"):
        values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
    duals = _duals(model, constraints) if (not mip and status == "optimal") else None
    return Solution(status, values, objective, bound, duals, built - started, solved - built)


def check_representable(model: Milp) -> None:
    """SolverFailure for a constraint coefficient at or beyond LARGEST (HiGHS refuses such a model
    outright: its `large_matrix_value`), or a finite objective coefficient or bound that HiGHS
    would read as infinite (kHighsInf, 1e20)."""
    bounds = np.concatenate([model.obj, model.lb, model.ub, model.lo, model.hi])
    for what, values, limit in (("coefficient", model.vals, LARGEST), ("bound or objective coefficient", bounds,
                                                                        highspy.kHighsInf)):
        finite = np.abs(values[np.isfinite(values)])
        if finite.size and finite.max() >= limit:
            raise SolverFailure(None, f"the model has a {what} of {finite.max():.3g}, beyond what the solver "
                                      f"can represent ({limit:.0e}); check the catalog's largest numbers")


def _solve_highs(problem: pulp.LpProblem, mip: bool, gap: float, time_limit: float | None, cutoff: float | None,
                 give_up_below: float | None = None,
                 presolve: bool = True) -> tuple[str, float | None, float | None, np.ndarray | None]:
    """Status, objective, bound and (when HiGHS was abandoned) the plan's values.

    HiGHS runs in a thread while this one watches for a stop request and for the time limit:
    HiGHS checks its callbacks often, but not inside its presolve or its sub-MIPs (70 s measured
    at 20,000 influencers; a 150 s limit became 337 s on a risk MILP of 962 creators and 200 runs).
    When it has not returned STOP_WAIT seconds after the request, or LIMIT_GRACE seconds after the
    limit (NO_PLAN_GRACE of the limit, up to NO_PLAN_GRACE_MAX, while it has no plan), its best plan
    so far (kept from its improving-solution callback) is reported as time_limit, and the thread is
    left to end at its next callback.
    """
    silence_highs_banner()
    extra = (({} if cutoff is None else {"objective_bound": -cutoff}) | ({"threads": _THREADS[0]} if _THREADS else {})
             | ({} if presolve else {"presolve": "off"}))
    seen = Incumbent()
    options = pulp.HiGHS(msg=False, mip=mip, gapRel=gap, timeLimit=time_limit, **extra,
                         **_callbacks(time_limit, seen, give_up_below))
    finished: list[BaseException | None] = []

    def run() -> None:
        try:
            problem.solve(options)
            finished.append(None)
        except BaseException as error:  # handed to the watching thread
            finished.append(error)

    worker = threading.Thread(target=run, name="influmix-highs")   # not a daemon: see abandoned_solver
    worker.start()
    asked = None
    deadline = math.inf if time_limit is None else time.monotonic() + time_limit
    while worker.is_alive():
        worker.join(0.05)
        now = time.monotonic()
        if asked is None and stop_requested():
            asked = now
        late = now - deadline > (LIMIT_GRACE if seen.values is not None else
                                 max(LIMIT_GRACE, min(NO_PLAN_GRACE * (time_limit or 0.0), NO_PLAN_GRACE_MAX)))
        if worker.is_alive() and (late or (asked is not None and now - asked > STOP_WAIT)):
            _ABANDONED.append(worker)
            if seen.values is None:
                return "no_solution", None, None, None
            return "time_limit", seen.objective, seen.bound, seen.values
    error = finished[0] if finished else RuntimeError("the solver thread ended without a word")
    if error is not None:  # whatever HiGHS or PuLP raise, the user gets one line
        raise SolverFailure(None, f"solver highs failed: {type(error).__name__}: {error}") from error
    return (*_highs_status(problem, mip, cutoff, presolve), None)


_ABANDONED: list[threading.Thread] = []


def abandoned_solver() -> bool:
    """Whether a HiGHS run left behind after a stop request is still running. Python waits for it
    at exit (ending the process under it would abort in HiGHS's C++ threads); a command line
    that has written its answer may leave at once with os._exit instead."""
    return any(thread.is_alive() for thread in _ABANDONED)


@dataclass
class Incumbent:
    """The best plan a running HiGHS MILP has reported, in the maximize form."""

    values: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None


def _callbacks(time_limit: float | None, seen: Incumbent | None = None, give_up_below: float | None = None) -> dict:
    """HiGHS options that interrupt it on a stop request, once `time_limit` seconds have
    passed (on large models its own time limit is checked loosely: 60 s became 97 s at
    100,000 influencers) or once its proven bound is below `give_up_below`, that report the
    progress of a long MILP without a limit, and that keep each improving plan in `seen`."""
    now = time.perf_counter()
    deadline = None if time_limit is None else now + time_limit
    next_report = [now + PROGRESS_SECONDS]
    kinds = highspy.cb.HighsCallbackType

    def interrupt(kind, message, data_out, data_in, user_data) -> None:
        now = time.perf_counter()
        if seen is not None and kind in (kinds.kCallbackMipInterrupt, kinds.kCallbackMipImprovingSolution):
            seen.bound = _known(-data_out.mip_dual_bound)
        if seen is not None and kind == kinds.kCallbackMipImprovingSolution:
            seen.values = np.array(data_out.mip_solution, dtype=float)
            seen.objective = 0.0 - data_out.objective_function_value
            return
        if stop_requested() or (deadline is not None and now > deadline) or (
                give_up_below is not None and kind == kinds.kCallbackMipInterrupt
                and -data_out.mip_dual_bound < give_up_below):
            data_in.user_interrupt = True
        elif deadline is None and kind == kinds.kCallbackMipInterrupt and now >= next_report[0]:
            next_report[0] = now + PROGRESS_SECONDS
            report_progress(_known(-data_out.mip_primal_bound), _known(-data_out.mip_dual_bound),
                            _known(data_out.mip_gap))

    active = [kinds.kCallbackSimplexInterrupt, kinds.kCallbackIpmInterrupt, kinds.kCallbackMipInterrupt]
    if seen is not None:
        active.append(kinds.kCallbackMipImprovingSolution)
    return {"callbackTuple": (interrupt, None), "callbacksToActivate": active}


def stop_check(highs: highspy.Highs) -> None:
    """Make a Highs instance that is run directly (not through PuLP) stop on a stop request."""
    callbacks = _callbacks(None)
    highs.setCallback(*callbacks["callbackTuple"])
    for kind in callbacks["callbacksToActivate"]:
        highs.startCallback(kind)


def _known(value: float) -> float | None:
    """A figure from a HiGHS callback, None where HiGHS has none yet (infinite)."""
    return value if abs(value) < highspy.kHighsInf else None


def _solve_cbc(problem: pulp.LpProblem, mip: bool, gap: float,
               time_limit: float | None) -> tuple[str, float | None, float | None]:
    """Run the CBC binary on an MPS file in a temporary folder (removed afterwards), stopping it
    on a stop request or when it overruns its time limit by CBC_GRACE seconds: SIGINT first (CBC
    then writes its best plan), SIGKILL after CBC_STOP_WAIT more. The child is always reaped."""
    folder = tempfile.mkdtemp(prefix="influmix-cbc-")
    try:
        mps, sol, log = (os.path.join(folder, name) for name in ("model.mps", "model.sol", "cbc.log"))
        variables, variable_names, constraint_names, _ = problem.writeMPS(mps, rename=1)
        args = [CBC_PATH, mps] + (["-max"] if problem.sense == pulp.LpMaximize else [])
        if time_limit is not None:
            args += ["-sec", f"{time_limit:g}"]
        args += ["-ratio", f"{gap:g}", "-solve" if mip else "-initialSolve", "-printingOptions", "all",
                 "-solution", sol]
        code, stopped = _run_cbc(args, log, time_limit)
        if stopped and not os.path.exists(sol):
            return "no_solution", None, None
        if code != 0 or not os.path.exists(sol):
            raise SolverFailure(None, f"solver cbc failed (exit code {code}): {_last_line(log) or 'no solution file'}")
        _read_cbc_solution(problem, sol, variables, variable_names, constraint_names)
        status, objective = _cbc_status(problem)
        return status, objective, _cbc_bound(log, objective)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_cbc(args: list[str], log: str, time_limit: float | None) -> tuple[int, bool]:
    """Run CBC to its end (or stop it, see _solve_cbc); its exit code, and whether it was stopped."""
    deadline = None if time_limit is None else time.monotonic() + time_limit + CBC_GRACE
    with open(log, "wb") as output:
        try:
            child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                     start_new_session=True)   # a terminal's Ctrl-C reaches it only through us
        except OSError as error:
            raise SolverFailure(None, f"cannot run the cbc solver {args[0]}: {error.strerror or error}") from None
        stopping = None
        try:
            while True:
                try:
                    return child.wait(timeout=0.1), stopping is not None
                except subprocess.TimeoutExpired:
                    pass
                now = time.monotonic()
                if stopping is None and (stop_requested() or (deadline is not None and now > deadline)):
                    child.send_signal(signal.SIGINT)
                    stopping = now
                elif stopping is not None and now - stopping > CBC_STOP_WAIT:
                    child.kill()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def _read_cbc_solution(problem: pulp.LpProblem, sol: str, variables: list, variable_names: dict,
                       constraint_names: dict) -> None:
    """Load CBC's solution file into the problem; SolverFailure unless it has a known status
    and a value for every variable."""
    reader = pulp.COIN_CMD(path=CBC_PATH, msg=False)
    try:
        with open(sol) as file:
            head = file.readline().split()
        if not head or head[0] not in ("Optimal", "Infeasible", "Integer", "Unbounded", "Stopped"):
            raise ValueError(f"unknown status line {' '.join(head)[:60]!r}")
        status, values, reduced, prices, slacks, sol_status = reader.readsol_MPS(
            sol, problem, variables, variable_names, constraint_names)
        if status != pulp.LpStatusInfeasible and len(reduced) != len(variables):
            raise ValueError(f"values for {len(reduced)} of {len(variables)} variables")
    except (OSError, ValueError, IndexError, UnicodeDecodeError) as error:
        raise SolverFailure(None, f"solver cbc wrote a solution that cannot be read: {error}") from None
    problem.assignVarsVals(values)
    problem.assignVarsDj(reduced)
    problem.assignConsPi(prices)
    problem.assignConsSlack(slacks, activity=True)
    problem.assignStatus(status, sol_status)


def _cbc_bound(log: str, objective: float | None) -> float | None:
    """The proven bound CBC's log states for a plan worth `objective` (the model's maximize form):
    its "Upper bound" line, moved by the objective's constant, which CBC does not see; the plan's
    own value when CBC proved it optimal outright (it then states no bound); None otherwise."""
    if objective is None:
        return None
    try:
        with open(log, errors="replace") as file:
            _, heading, summary = file.read().rpartition("Result -")
    except OSError:
        return None
    if not heading:
        return None
    stated = {key: float(value) for key, value in CBC_FIGURE.findall(summary) if _is_number(value)}
    if "Upper bound" in stated and "Objective value" in stated:
        return max(objective, stated["Upper bound"] + objective - stated["Objective value"])
    return objective if summary.strip().split("\n", 1)[0] == "Optimal solution found" else None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _last_line(path: str) -> str:
    try:
        with open(path, errors="replace") as file:
            lines = [line.strip() for line in file if line.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


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
        if r % 1000 == 0:
            check_stop()
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


def _highs_status(problem: pulp.LpProblem, mip: bool, cutoff: float | None,
                  presolve: bool = True) -> tuple[str, float | None, float | None]:
    """Status, objective and bound from HiGHS itself (PuLP hands it the negated objective);
    PostsolveError for a solve error with presolve on, SolverFailure for any other end."""
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
    elif name == "kSolveError" and presolve:
        raise PostsolveError(name)
    else:
        raise SolverFailure(None, f"solver highs failed: HiGHS stopped with status {name}")
    if status == "no_solution":
        return status, None, None
    objective = 0.0 - info.objective_function_value          # 0.0 - x: never a negative zero
    bound = 0.0 - info.mip_dual_bound if mip else objective
    return status, objective, bound


def _cbc_status(problem: pulp.LpProblem) -> tuple[str, float | None]:
    """Status and objective from PuLP's solution status (the bound is in CBC's log: _cbc_bound)."""
    sol_status = problem.sol_status
    if sol_status == pulp.LpSolutionOptimal:
        return "optimal", pulp.value(problem.objective) or 0.0
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limit", pulp.value(problem.objective) or 0.0
    if sol_status in (pulp.LpSolutionInfeasible, pulp.LpSolutionUnbounded):
        return "infeasible", None
    if problem.status == pulp.LpStatusInfeasible:    # found in CBC's presolve
        return "infeasible", None
    return "no_solution", None


def _duals(model: Milp, constraints: list[list[pulp.LpConstraint]]) -> np.ndarray:
    """Row duals in the maximize convention (HiGHS reports them for the negated problem)."""
    return -np.array([sum(c.pi or 0.0 for c in pair) for pair in constraints])
