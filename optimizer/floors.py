"""Outcome floors with [audience] or [robustness], the post slots and the unique-reach objective
(docs/reference.md "Audience", "Dropouts").

A floor is a sum of contributions a_i, each linear in influencer i's own columns: engagements
`E_i x_i`; gross reach `A_i y_i` (`A_ik y_i` in segment k); impressions `A_i v_i x_i`; unique
reach `sum_j g_ij d_ij` against `-ln(1 - T/N)` (log space, exact at whole posts; N_k and A_ik
per segment). Without dropouts a floor is one row `sum_i a_i >= T`; with G dropouts it is the
Bertsimas-Sim form `sum_i a_i - G t - sum_i p_i >= T`, `t + p_i - a_i >= 0`, `t, p_i >= 0`:
the sum without its G largest contributions. Log-space rows are scaled by N (N L against
-N ln(1 - T/N)), so that they read in people and the solver's tolerances stay negligible.
Without [audience] and dropouts the floors are the rows of optimizer/constraints.py, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer import constraints
from optimizer.audience import floor_keys, floor_wanted, from_log, increments, view_rates
from optimizer.constraints import INF, Layout, _block, _row
from optimizer.milp import LOWER, Bound, Owned, RowBlock, stack
from optimizer.problem import Problem

TANGENT_SHARES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)   # of N_k: where the first tangent cuts touch


@dataclass(frozen=True)
class Terms:
    """A floor's contributions: nonzeros (owner influencer, column, value)."""

    owner: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


def unchanged(problem: Problem) -> bool:
    """No [audience] and no dropouts: the floors of optimizer/constraints.py as they are."""
    return not problem.scenario.unique and problem.scenario.robustness.dropouts == 0


def rates(problem: Problem) -> np.ndarray:
    """v_i of the eligible influencers."""
    return view_rates(problem.catalog, problem.scenario)[problem.positions]


def slot_terms(problem: Problem, layout: Layout, audience: np.ndarray, population: float) -> Terms:
    """N sum_j g_ij d_ij: the log terms of unique reach over the post slots, scaled by N so that
    rows and tolerances read in people (N L is about U while U is small against N)."""
    owner, number = layout.slot_owner(), layout.slot_number()
    most = int(layout.slots.max(initial=0))
    g = population * increments(audience, rates(problem), population, most)
    return Terms(owner, layout.d(), g[owner, number - 1] if len(owner) else np.zeros(0))


def floor(problem: Problem, layout: Layout, key: str) -> tuple[Terms, float, Bound]:
    """A floor's contributions, its right-hand side in the model, and its Bound."""
    scenario, n = problem.scenario, problem.n
    every, wanted = np.arange(n), floor_wanted(scenario, key)
    unit = _dropout_unit(scenario.robustness.dropouts)
    if key == "targets.engagements":
        return Terms(every, layout.x(), problem.engagements), wanted, Bound(key, LOWER, wanted, unit=unit)
    if key == "targets.impressions":
        return Terms(every, layout.x(), problem.audience * rates(problem)), wanted, Bound(key, LOWER, wanted, unit=unit)
    if key.startswith("coverage."):
        segment = key.removeprefix("coverage.")
        audience = problem.segment_audience(segment)
        population = scenario.audience.segments[segment] if scenario.unique else None
    else:
        audience = problem.audience
        population = scenario.audience.population if scenario.unique else None
    if population is None:
        return Terms(every, layout.y(), audience), wanted, Bound(key, LOWER, wanted, unit=unit)
    rhs = float(-population * np.log1p(-wanted / population))
    return slot_terms(problem, layout, audience, population), rhs, \
        Bound(key, LOWER, wanted, kind="unique", unit=unit, population=population)


def _dropout_unit(dropouts: int) -> str:
    return "" if dropouts == 0 else f" (after the worst {dropouts} dropout{'' if dropouts == 1 else 's'})"


def floor_rows(layout: Layout, key: str, terms: Terms, rhs: float, bound: Bound, dropouts: int) -> RowBlock:
    """`sum a_i >= rhs`, or its Bertsimas-Sim form for a robust floor."""
    if key not in layout.robust:
        return _row(terms.cols, terms.vals, lower=bound, lo=rhs)
    n, t = layout.n, layout.t(key)
    every, p = np.arange(n), layout.t(key) + 1 + np.arange(n)
    rows = np.concatenate([np.zeros(len(terms.cols) + 1 + n, np.int64), 1 + every, 1 + every, 1 + terms.owner])
    cols = np.concatenate([terms.cols, [t], p, np.full(n, t), p, terms.cols])
    vals = np.concatenate([terms.vals, [-float(dropouts)], -np.ones(n), np.ones(n), np.ones(n), -terms.vals])
    return _block(rows, cols, vals, np.concatenate([[rhs], np.zeros(n)]), np.full(n + 1, INF),
                  [bound] + [None] * n, [None] * (n + 1), owner=np.concatenate([[-1], every]))


def cap_dropout_columns(problem: Problem, layout: Layout, ub: np.ndarray) -> None:
    """Finite upper bounds for t and p_i of each robust floor (the diagnosis's big-M reads the
    column box): p_i <= the most i can contribute, t <= the most any one can."""
    for key in layout.robust:
        terms = floor(problem, layout, key)[0]
        most = np.bincount(terms.owner, weights=terms.vals * ub[terms.cols], minlength=problem.n)
        t = layout.t(key)
        ub[t] = most.max(initial=0.0)
        ub[t + 1: t + 1 + problem.n] = most


def _floors(problem: Problem, layout: Layout, prefix: str) -> RowBlock | None:
    dropouts = problem.scenario.robustness.dropouts
    return stack([floor_rows(layout, key, *floor(problem, layout, key), dropouts)
                  for key in floor_keys(problem.scenario) if key.startswith(prefix)])


def targets(problem: Problem, layout: Layout) -> RowBlock | None:
    """targets.engagements, targets.reach (unique with [audience]) and targets.impressions,
    each robust to dropouts when [robustness] sets them."""
    if unchanged(problem):
        return constraints.targets(problem, layout)
    return _floors(problem, layout, "targets.")


def coverage(problem: Problem, layout: Layout) -> RowBlock | None:
    """coverage.k (unique U_k with [audience]), robust to dropouts when [robustness] sets them."""
    if unchanged(problem):
        return constraints.coverage(problem, layout)
    return _floors(problem, layout, "coverage.")


# --- structural rows with [audience] ----------------------------------------------------------

def post_slots(problem: Problem, layout: Layout) -> RowBlock | None:
    """x_i = sum_j d_ij, y_i = d_i1, d_ij >= d_i,j+1: post j of i is bought only after post j - 1."""
    if layout.slots is None:
        return None
    n, every = problem.n, np.arange(problem.n)
    d, owner, number = layout.d(), layout.slot_owner(), layout.slot_number()
    first = number == 1
    pairs = np.flatnonzero(owner[1:] == owner[:-1])
    m = len(pairs)
    rows = np.concatenate([every, owner, n + every, n + owner[first], 2 * n + np.arange(m), 2 * n + np.arange(m)])
    cols = np.concatenate([layout.x(), d, layout.y(), d[first], d[pairs], d[pairs + 1]])
    vals = np.concatenate([np.ones(n), -np.ones(len(d)), np.ones(n), -np.ones(int(first.sum())),
                           np.ones(m), -np.ones(m)])
    lo = np.zeros(2 * n + m)
    hi = np.concatenate([np.zeros(2 * n), np.full(m, INF)])
    none = [None] * (2 * n + m)
    return _block(rows, cols, vals, lo, hi, none, none, owner=np.concatenate([every, every, owner[pairs]]), link=True)


def owned_columns(layout: Layout) -> Owned:
    """The extra columns of one influencer: its post slots d_ij (slot j) and its dropout column p_i
    of each robust floor (free within its bounds)."""
    n, every = layout.n, np.arange(layout.n)
    p = [layout.t(key) + 1 + every for key in layout.robust]
    return Owned(np.concatenate([layout.d(), *p]).astype(np.int64),
                 np.concatenate([layout.slot_owner(), *([every] * len(p))]).astype(np.int64),
                 np.concatenate([layout.slot_number(), np.zeros(n * len(p), dtype=np.int64)]).astype(np.int64))


def segment_weights(problem: Problem) -> dict[str, float]:
    """w_k of each [audience] segment of a targeted_reach objective (1 unless the scenario says)."""
    weights = problem.scenario.objective.segment_weights
    return {segment: float(weights.get(segment, 1.0)) for segment in problem.scenario.audience.segments}


def epigraph(problem: Problem, layout: Layout) -> RowBlock | None:
    """For targeted_reach with [audience]: L_k = N_k sum_ij g_ijk d_ij (scaled), and t_k below the tangents of
    N_k (1 - e^-L_k) at TANGENT_SHARES of N_k and below N_k (optimizer/reach_solve.py adds more)."""
    if not layout.epigraph:
        return None
    blocks = []
    for segment in layout.epigraph:
        population = problem.scenario.audience.segments[segment]
        terms = slot_terms(problem, layout, problem.segment_audience(segment), population)
        log_col, reach_col = layout.epigraph_cols(segment)
        blocks.append(_row(np.append(terms.cols, log_col), np.append(-terms.vals, 1.0), lo=0.0, hi=0.0))
        blocks.append(_row(np.array([reach_col]), np.ones(1), lo=-INF, hi=population))
        blocks += [tangent_cut(layout, segment, population, float(-population * np.log1p(-share)))
                   for share in TANGENT_SHARES]
    return stack(blocks)


def tangent_cut(layout: Layout, segment: str, population: float, at: float) -> RowBlock:
    """t_k <= U_k(a) + e^(-a/N_k) (S_k - a): the tangent of the concave U_k = N_k (1 - e^(-S_k/N_k))
    at S_k = a, with S_k = N_k L_k the scaled log sum of column L_k."""
    log_col, reach_col = layout.epigraph_cols(segment)
    slope = float(np.exp(-at / population))
    return _row(np.array([reach_col, log_col]), np.array([1.0, -slope]), lo=-INF,
                hi=float(from_log(population, at / population) - slope * at))


def unique_objective(problem: Problem, layout: Layout, obj: np.ndarray) -> None:
    """reach: N times the log sum L of U (U = N (1 - e^-L) rises with it); targeted_reach: sum_k w_k t_k."""
    if problem.scenario.objective.metric == "reach":
        terms = slot_terms(problem, layout, problem.audience, problem.scenario.audience.population)
        obj[terms.cols] += terms.vals
        return
    for segment, weight in segment_weights(problem).items():
        obj[layout.epigraph_cols(segment)[1]] = weight
