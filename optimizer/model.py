"""Assemble the MILP of SPEC section 4 from a Problem: objective, bounds, constraint rows."""

from __future__ import annotations

import numpy as np

from optimizer.constraints import CONSTRAINTS, Layout, layout_for
from optimizer.linear import LinearModel
from optimizer.problem import Problem


def objective_vector(problem: Problem, layout: Layout) -> np.ndarray:
    """Maximize form: engagements on x, (targeted) reach on y, minus spend for minimize cost."""
    obj = np.zeros(layout.num_cols)
    metric = problem.scenario.objective.metric
    if metric == "engagements":
        obj[layout.x()] = problem.engagements
    elif metric == "reach":
        obj[layout.y()] = problem.audience
    elif metric == "targeted_reach":
        obj[layout.y()] = problem.targeted_audience()
    else:
        obj[layout.spend] = -1.0
    return obj


def build_model(problem: Problem) -> tuple[LinearModel, Layout]:
    """The whole model: x_i in [0, m_i] integer, y_i binary, S in [budget.min, budget.max], z_g binary.

    Without budget.max, S is bounded by the most that every post of every influencer costs.
    """
    layout = layout_for(problem)
    n, extra = problem.n, layout.num_cols - 2 * problem.n
    must = problem.included.astype(float)
    budget = problem.scenario.budget
    most_spend = budget.max if budget.max is not None else float(problem.cost @ problem.max_posts)
    lb = np.concatenate([must, must, [budget.min or 0.0], np.zeros(extra - 1)])
    ub = np.concatenate([problem.max_posts.astype(float), np.ones(n), [most_spend], np.ones(extra - 1)])
    integer = np.concatenate([np.ones(2 * n, dtype=bool), [False], np.ones(extra - 1, dtype=bool)])
    names = [f"x[{i}]" for i in range(n)] + [f"y[{i}]" for i in range(n)] + ["spend"] + [
        f"z[{column}={value}]" for column, (_, values) in layout.distinct.items() for value in values]
    blocks = [block for build in CONSTRAINTS if (block := build(problem, layout)) is not None]
    return LinearModel.assemble(n, objective_vector(problem, layout), lb, ub, integer, names, blocks), layout
