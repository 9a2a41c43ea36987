"""The plain path with [audience] (docs/reference.md "Audience"): bounds in people, and tangent
cuts for a targeted_reach objective.

`reach` maximizes N L, L the log sum of U = N (1 - e^-L): the solver's bound b on N L is the
bound N (1 - e^(-b/N)) on U, and since U / L falls as L grows, the relative gap on U is at most the one
on L. `targeted_reach` maximizes sum_k w_k U_k, concave in the segment log sums L_k: the model
maximizes sum_k w_k t_k with t_k below tangents of N_k (1 - e^-L_k) (optimizer/floors.py).
Tangents lie above the curve, so the model's bound is a proven bound on the exact objective;
after each solve the plan's exact value is computed from its posts, a tangent is added at
each L_k of the plan, and the loop stops once the exact value is within `solver.gap` of the
least bound found (or the time limit passes: status time_limit with that bound). Each round is
the whole model's solve (plain path) or the fast path's (`solve_unique_fast`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from optimizer.audience import from_log, log_terms, people_reached, unique_reach
from optimizer.backend import Solution, solve_linear
from optimizer.build import build_milp
from optimizer.constraints import Layout
from optimizer.fast import solve_fast
from optimizer.floors import rates, segment_weights, tangent_cut
from optimizer.milp import Milp, stack
from optimizer.outcome import Outcome, within_gap
from optimizer.problem import Problem

MAX_ROUNDS = 30           # outer-approximation solves, at most
SHORTEST_SOLVE = 0.5      # seconds a round gets even past the time limit


Round = Callable[[Milp, float, float | None], Outcome]   # model, gap, time limit -> plan and the model's bound


def solve_unique(problem: Problem, time_limit: float | None = None) -> Outcome:
    """The whole model with post slots; the bound reported on the exact objective."""
    options = problem.scenario.solver
    limit = time_limit or options.time_limit
    model, layout = build_milp(problem)
    if layout.epigraph:
        return _outer_approximation(problem, model, layout, limit, _whole_model(problem))
    solution = solve_linear(model, solver=options.name, time_limit=limit, gap=options.gap)
    return in_people(problem, Outcome(solution.status, _posts(problem, solution), solution.bound,
                                      solution.build_seconds, solution.solve_seconds))


def in_people(problem: Problem, outcome: Outcome) -> Outcome:
    """For a unique `reach` objective, the model's bound b on N L as the bound N (1 - e^(-b/N)) on U
    (either path's outcome); any other outcome as it is."""
    if outcome.bound is None or not (problem.scenario.unique and problem.scenario.objective.metric == "reach"):
        return outcome
    population = problem.scenario.audience.population
    return dataclasses.replace(outcome, bound=float(from_log(population, outcome.bound / population)))


def targeted_value(problem: Problem, posts: np.ndarray) -> float:
    """sum_k w_k U_k of the eligible influencers' posts, in closed form."""
    v, total = rates(problem), 0.0
    for segment, weight in segment_weights(problem).items():
        population = problem.scenario.audience.segments[segment]
        total += weight * unique_reach(population, people_reached(problem.segment_audience(segment), v, posts))
    return total


def solve_unique_fast(problem: Problem, **options) -> Outcome:
    """The fast path (optimizer/fast.py, `options` its own) with post slots: for `reach` its bound
    in people, for `targeted_reach` each round of the outer approximation solved by it."""
    model, layout = build_milp(problem)
    if not layout.epigraph:
        return in_people(problem, solve_fast(problem, model=model, **options))
    return _outer_approximation(problem, model, layout, problem.scenario.solver.time_limit,
                                _fast_path(problem, options))


def _whole_model(problem: Problem) -> Round:
    """A round on the whole model by the scenario's solver (CBC states no bound: its gap from the plan found)."""
    def run(model: Milp, gap: float, time_limit: float | None) -> Outcome:
        solution = solve_linear(model, solver=problem.scenario.solver.name, time_limit=time_limit, gap=gap)
        bound = _model_bound(solution, gap)
        return Outcome(solution.status, _posts(problem, solution), bound if np.isfinite(bound) else None,
                       solution.build_seconds, solution.solve_seconds)
    return run


def _fast_path(problem: Problem, options: dict) -> Round:
    """A round by the fast path, at the round's gap and time limit."""
    def run(model: Milp, gap: float, time_limit: float | None) -> Outcome:
        solver = problem.scenario.solver.model_copy(update={"gap": gap, "time_limit": time_limit})
        scenario = problem.scenario.model_copy(update={"solver": solver})
        return solve_fast(dataclasses.replace(problem, scenario=scenario), model=model, **options)
    return run


def _outer_approximation(problem: Problem, model: Milp, layout: Layout, limit: float | None,
                         solve_round: Round) -> Outcome:
    options, started = problem.scenario.solver, time.perf_counter()
    best_posts, best, bound, proven = None, -np.inf, np.inf, True
    build = solve = 0.0
    for _ in range(MAX_ROUNDS):
        left = None if limit is None else max(SHORTEST_SOLVE, limit - (time.perf_counter() - started))
        outcome = solve_round(model, options.gap / 2, left)
        build, solve = build + outcome.build_seconds, solve + outcome.solve_seconds
        if outcome.status == "infeasible":
            return Outcome("infeasible", None, None, build, solve)
        if outcome.posts is None:
            proven = False
            break
        posts = outcome.posts
        value = targeted_value(problem, posts)
        if value > best:
            best_posts, best = posts, value
        bound = min(bound, np.inf if outcome.bound is None else outcome.bound)
        if outcome.status != "optimal":
            proven = False
            break
        if bound - best <= options.gap * max(abs(best), 1e-9):
            break
        model = _with_cuts(model, problem, layout, posts)
    else:
        proven = False
    if best_posts is None:
        return Outcome("no_solution", None, None, build, solve)
    status = "optimal" if proven and bound - best <= options.gap * max(abs(best), 1e-9) else "time_limit"
    return Outcome(status, best_posts, None if not np.isfinite(bound) else float(bound), build, solve)


def _model_bound(solution: Solution, gap: float) -> float:
    """The solver's bound on the model's objective (CBC states none: its gap from the plan found)."""
    if solution.bound is not None:
        return float(solution.bound)
    return within_gap(float(solution.objective), gap) if solution.status == "optimal" else np.inf


def _with_cuts(model: Milp, problem: Problem, layout: Layout, posts: np.ndarray) -> Milp:
    """The model with a tangent of each segment's U_k at the plan's L_k."""
    v = rates(problem)
    cuts = []
    for segment in layout.epigraph:
        population = problem.scenario.audience.segments[segment]
        at = population * float(log_terms(population, people_reached(problem.segment_audience(segment), v,
                                                                      posts)).sum())
        cuts.append(tangent_cut(layout, segment, population, at))
    block = stack(cuts)
    return dataclasses.replace(
        model, rows=np.concatenate([model.rows, block.rows + model.num_rows]),
        cols=np.concatenate([model.cols, block.cols]), vals=np.concatenate([model.vals, block.vals]),
        lo=np.concatenate([model.lo, block.lo]), hi=np.concatenate([model.hi, block.hi]),
        lower=model.lower + block.lower, upper=model.upper + block.upper,
        owner=np.concatenate([model.owner, block.owner]), link=np.concatenate([model.link, block.link]))


def _posts(problem: Problem, solution: Solution) -> np.ndarray | None:
    return None if solution.values is None else np.round(solution.values[: problem.n]).astype(np.int64)
