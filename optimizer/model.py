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
    """The whole model: x_i in [0, m_i] integer, y_i binary, S >= 0, z_g binary."""
    layout = layout_for(problem)
    n, extra = problem.n, layout.num_cols - 2 * problem.n
    must = problem.included.astype(float)
    lb = np.concatenate([must, must, np.zeros(extra)])
    ub = np.concatenate([problem.max_posts.astype(float), np.ones(n), [np.inf], np.ones(extra - 1)])
    integer = np.concatenate([np.ones(2 * n, dtype=bool), [False], np.ones(extra - 1, dtype=bool)])
    names = [f"x[{i}]" for i in range(n)] + [f"y[{i}]" for i in range(n)] + ["spend"] + [
        f"z[{column}={value}]" for column, (_, values) in layout.distinct.items() for value in values]
    blocks = [block for build in CONSTRAINTS if (block := build(problem, layout)) is not None]
    return LinearModel.assemble(n, objective_vector(problem, layout), lb, ub, integer, names, blocks), layout
