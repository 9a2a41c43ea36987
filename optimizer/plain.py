"""The plain path: the whole model of docs/reference.md "The model" handed to the solver at once."""

from __future__ import annotations

import numpy as np

from optimizer.backend import solve_linear
from optimizer.build import build_milp
from optimizer.outcome import Outcome
from optimizer.problem import Problem


def solve_plain(problem: Problem, time_limit: float | None = None) -> Outcome:
    """Build every row for every eligible influencer and solve the MILP."""
    options = problem.scenario.solver
    model, _ = build_milp(problem)
    solution = solve_linear(model, solver=options.name, time_limit=time_limit or options.time_limit, gap=options.gap)
    posts = None if solution.values is None else np.round(solution.values[: problem.n]).astype(np.int64)
    return Outcome(solution.status, posts, solution.bound, solution.build_seconds, solution.solve_seconds)
