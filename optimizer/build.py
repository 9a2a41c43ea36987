"""Assemble the MILP of docs/reference.md "The model" from a Problem: objective, bounds, rows.

The presolve is an option of the build: `TIGHT` (every solve) caps posts at what the
budget affords, bounds the spend column by the budget and makes included ids bounds;
`LOOSE` (the diagnosis) keeps the catalog's posts, an unbounded spend column, and each
included id as a row that may be relaxed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.constraints import Layout, budget_range, include_rows, layout_for, links, spend_definition
from optimizer.floors import cap_dropout_columns, epigraph, owned_columns, post_slots, unique_objective
from optimizer.milp import Milp
from optimizer.problem import Problem, affordable_posts
from optimizer.registry import KINDS
from optimizer.risk import risk_objective, scenario_rows


@dataclass(frozen=True)
class Presolve:
    """What the build derives from the scenario before the solver sees it."""

    budget: bool = True      # posts capped by budget.max (and the per-influencer share); S bounded by the budget
    includes: bool = True    # each included id as bounds x_i, y_i >= 1 (else a row, key selection.include)


TIGHT = Presolve()
LOOSE = Presolve(budget=False, includes=False)


def objective_vector(problem: Problem, layout: Layout) -> np.ndarray:
    """Maximize form: engagements on x, (targeted) reach on y, minus spend for minimize cost;
    with [audience], the reach objectives of optimizer/floors.py; with risk, optimizer/risk.py's."""
    obj = np.zeros(layout.num_cols)
    metric = problem.scenario.objective.metric
    if problem.scenario.objective.risk is not None:
        risk_objective(problem, layout, obj)
    elif problem.scenario.unique and metric in ("reach", "targeted_reach"):
        unique_objective(problem, layout, obj)
    elif metric == "engagements":
        obj[layout.x()] = problem.engagements
    elif metric == "reach":
        obj[layout.y()] = problem.audience
    elif metric == "targeted_reach":
        obj[layout.y()] = problem.targeted_audience()
    else:
        obj[layout.spend] = -1.0
    return obj


def build_milp(problem: Problem, presolve: Presolve = TIGHT) -> tuple[Milp, Layout]:
    """The whole model: x_i in [0, m_i] integer, y_i binary, S >= 0, z_g binary; the links,
    the spend definition, the structural rows of [audience] and risk, then every registered kind's rows (and the include rows when
    they are not bounds).

    With the budget presolve, S lies in [budget.min, budget.max]; without budget.max (or
    without that presolve) it is bounded by the most that every post of every influencer costs.
    """
    n = problem.n
    max_posts = affordable_posts(problem) if presolve.budget else problem.max_posts
    layout = layout_for(problem, max_posts)
    must = (problem.included if presolve.includes else np.zeros(n, dtype=bool)).astype(float)
    low, high = budget_range(problem.scenario) if presolve.budget else (-np.inf, np.inf)
    most_spend = high if np.isfinite(high) else float(problem.cost @ max_posts + problem.fee.sum())
    extra_lb, extra_ub, extra_integer = layout.extra_columns()
    lb = np.concatenate([must, must, [max(low, 0.0)], extra_lb])
    ub = np.concatenate([max_posts.astype(float), np.ones(n), [most_spend], extra_ub])
    integer = np.concatenate([np.ones(2 * n, dtype=bool), [False], extra_integer])
    cap_dropout_columns(problem, layout, ub)
    blocks = [links(problem, layout, max_posts), spend_definition(problem, layout)]
    blocks += [block for block in (post_slots(problem, layout), epigraph(problem, layout), scenario_rows(problem, layout))
               if block is not None]
    blocks += [block for kind in KINDS if (block := kind.build(problem, layout)) is not None]
    if not presolve.includes and (block := include_rows(problem, layout)) is not None:
        blocks.append(block)
    return Milp.assemble(n, objective_vector(problem, layout), lb, ub, integer, blocks,
                         owned_columns(layout)), layout
