"""solve(catalog, scenario) -> Result: prepare, solve (fast or plain), verify, report."""

from __future__ import annotations

import dataclasses
from functools import partial
import warnings

import numpy as np

from models.catalog import Catalog
from models.errors import NoPlanError
from models.result import Result, SolverInfo
from models.scenario import Scenario
from optimizer import diagnosis
from optimizer.audience import needs_slots, view_rates
from optimizer.control import Interrupted, stop_requested
from optimizer.fast import solve_fast
from optimizer.fast_risk import solve_fast_risk
from optimizer.kept import KeepColumns, kept_columns, with_kept_columns
from optimizer.outcome import Outcome
from optimizer.plain import solve_plain
from optimizer.problem import Problem, prepare
from optimizer.reach_solve import solve_unique_fast
from optimizer.replan import Previous, check_keep, plan_changes, with_previous
from optimizer.reuse import Reuse
from optimizer.report import build_result, infeasible_result
from optimizer.simulate import with_outcomes
from optimizer.verify import check_plan, violations
from optimizer.warm_lp import LPFailure

METHODS = ("fast", "plain")


def solve(catalog: Catalog, scenario: Scenario, *, method: str = "fast", diagnose: bool = True,
          previous: Previous | None = None, keep_columns: KeepColumns = None, reuse: Reuse | None = None) -> Result:
    """The optimal plan for the scenario, verified independently of the solver.

    Returns a Result with status optimal, time_limit (best plan found, with its proven gap)
    or infeasible (with a diagnosis, unless `diagnose` is False: a sweep needs the status
    only). The fast path applies to HiGHS; CBC always solves the plain model. Raises
    ScenarioError for a scenario that does not fit the catalog and NoPlanError when the
    time limit passes before any plan is found. `previous` (a plan file or id -> posts) re-plans
    under [replan]; the Result then lists the changes. `keep_columns` carries catalog columns to
    the allocation rows: True for every column influmix does not use, or a list of names
    (optimizer/kept.py); a name that is no catalog column raises CatalogError before the solve.
    `reuse` carries work from the last solve on the same catalog to this one (optimizer/reuse.py).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    kept = kept_columns(catalog, keep_columns)
    scenario = with_previous(catalog, scenario, previous)
    problem = prepare(catalog, scenario) if reuse is None else reuse.prepare(catalog, scenario)
    check_keep(catalog, scenario, problem.positions)
    outcome, method = (reuse.carried(catalog, problem) if reuse is not None else None) or _run(problem, method, reuse)
    if reuse is not None:
        reuse.remember(problem, outcome, method)
    info = SolverInfo(scenario.solver.name, method, outcome.build_seconds, outcome.solve_seconds)
    if outcome.status == "infeasible":
        return infeasible_result(catalog, scenario, eligible=problem.n, solver=info,
                                 diagnosis=diagnosis.diagnose(problem) if diagnose else [])
    if outcome.status == "no_solution":
        limit = scenario.solver.time_limit
        if stop_requested():
            raise NoPlanError(scenario.path, "stopped (interrupted) before any plan was found")
        raise NoPlanError(scenario.path, "no plan found within the time limit"
                                         + (f" of {limit:g} s" if limit is not None else ""))
    posts = np.zeros(catalog.rows, dtype=np.int64)
    posts[problem.positions] = outcome.posts
    posts = trim_idle_posts(catalog, scenario, posts)
    constraints = check_plan(catalog, scenario, posts)
    bound = None if outcome.bound is None else (0.0 - outcome.bound if scenario.objective.sense == "minimize"
                                                 else outcome.bound)
    result = build_result(catalog, scenario, posts, status=outcome.status, bound=bound, eligible=problem.n,
                          constraints=constraints, solver=info)
    result = dataclasses.replace(result, changes=plan_changes(catalog, scenario, posts))
    return with_kept_columns(with_outcomes(result, catalog, scenario, posts), catalog, kept)


def _run(problem: Problem, method: str, reuse: Reuse | None = None) -> tuple[Outcome, str]:
    """The fast path, or the plain one when asked, for CBC, or when an LP of the fast path
    fails; with the method that gave the outcome."""
    if method == "plain" or problem.scenario.solver.name == "cbc":
        return solve_plain(problem), "plain"
    if (reason := _beyond_fast(problem)) is not None:
        warnings.warn(f"the fast path does not price {reason} yet; solving the whole model instead (method plain)",
                      stacklevel=3)
        return solve_plain(problem), "plain"
    scenario = problem.scenario
    fast = solve_fast_risk if scenario.objective.risk is not None else (
        solve_unique_fast if needs_slots(scenario) else partial(solve_fast, reuse=reuse))
    try:
        return fast(problem), "fast"
    except Interrupted:                 # stopped in an LP, before the fast path had a plan
        return Outcome("no_solution", None, None, 0.0, 0.0), "fast"
    except LPFailure as failure:
        warnings.warn(f"{failure}; solving the whole model instead (method plain)", stacklevel=3)
        return solve_plain(problem), "plain"


def _beyond_fast(problem: Problem) -> str | None:
    """What the fast path cannot handle yet: the risk objective (its own fast path, optimizer/fast_risk.py)
    with fees or with [robustness] dropouts."""
    scenario = problem.scenario
    if scenario.objective.risk is None:
        return None
    reasons = (["fees (catalog column fee)"] if np.any(problem.fee > 0) else []) + (
        ["the risk objective with [robustness] dropouts"] if scenario.robustness.dropouts > 0 else [])
    return " or ".join(reasons) or None


def trim_idle_posts(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> np.ndarray:
    """For reach objectives extra posts add nothing: drop each one that no constraint needs (with
    [audience] only a creator with view rate 1 has such posts: its first reaches all it can)."""
    if scenario.objective.metric not in ("reach", "targeted_reach"):
        return posts
    cost = catalog.frame["cost_per_post"].to_numpy(float)
    idle = posts > 1
    if scenario.unique:
        idle &= view_rates(catalog, scenario) >= 1
    posts = posts.copy()
    for row in sorted(np.flatnonzero(idle), key=lambda r: (-cost[r], r)):
        while posts[row] > 1:
            posts[row] -= 1
            if violations(catalog, scenario, posts):
                posts[row] += 1
                break
    return posts
