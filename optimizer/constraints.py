"""One builder per constraint kind of SPEC section 4, each in bulk from numpy arrays.

Every builder takes the Problem and the column Layout and returns a RowBlock (or None
where the scenario does not set the constraint). Rows are `lo <= a.v <= hi`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.linear import RowBlock, stack
from optimizer.problem import Problem

INF = np.inf


@dataclass(frozen=True)
class Layout:
    """Column positions: x_i at i, y_i at n + i, spend S at 2n, z_g for each distinct group after."""

    n: int
    distinct: dict[str, tuple[np.ndarray, list[str]]]  # column -> (group code of each influencer, group values)

    @property
    def spend(self) -> int:
        return 2 * self.n

    def x(self, i: np.ndarray | slice = slice(None)) -> np.ndarray:
        return np.arange(self.n)[i]

    def y(self, i: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.n + np.arange(self.n)[i]

    def z_start(self, column: str) -> int:
        start = 2 * self.n + 1
        for name, (_, values) in self.distinct.items():
            if name == column:
                return start
            start += len(values)
        raise KeyError(column)

    @property
    def num_cols(self) -> int:
        return 2 * self.n + 1 + sum(len(values) for _, values in self.distinct.values())


def layout_for(problem: Problem) -> Layout:
    """Group codes for every column named in [diversity] min_distinct."""
    distinct = {}
    for column in problem.scenario.diversity.min_distinct:
        values, codes = np.unique(problem.categories[column].astype(str), return_inverse=True)
        distinct[column] = (codes, [str(v) for v in values])
    return Layout(problem.n, distinct)


def _block(names: list[str], rows, cols, vals, lo, hi, owner=None, link=False) -> RowBlock:
    return RowBlock(names, np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=float),
                    np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), owner,
                    np.full(len(names), link))


def _dense_row(name: str, cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> RowBlock:
    """A single row over the given columns."""
    return _block([name], np.zeros(len(cols), dtype=np.int64), cols, vals, [lo], [hi])


def links(problem: Problem, layout: Layout) -> RowBlock:
    """y_i <= x_i <= m_i y_i: booked if and only if at least one post."""
    n, i = problem.n, np.arange(problem.n)
    rows = np.concatenate([i, i, n + i, n + i])
    cols = np.concatenate([layout.x(), layout.y(), layout.x(), layout.y()])
    vals = np.concatenate([np.ones(n), -np.ones(n), np.ones(n), -problem.max_posts.astype(float)])
    lo = np.concatenate([np.zeros(n), np.full(n, -INF)])
    hi = np.concatenate([np.full(n, INF), np.zeros(n)])
    names = [f"booked_lo[{k}]" for k in range(n)] + [f"booked_hi[{k}]" for k in range(n)]
    return _block(names, rows, cols, vals, lo, hi, owner=np.concatenate([i, i]), link=True)


def spend(problem: Problem, layout: Layout) -> RowBlock:
    """S = sum_i c_i x_i, and budget.min <= S <= budget.max."""
    budget = problem.scenario.budget
    cols = np.append(layout.x(), layout.spend)
    vals = np.append(problem.cost, -1.0)
    block = _dense_row("spend", cols, vals, 0.0, 0.0)
    low = budget.min if budget.min is not None else -INF
    high = budget.max if budget.max is not None else INF
    if low == -INF and high == INF:
        return block
    budget_row = _dense_row("budget", np.array([layout.spend]), np.array([1.0]), low, high)
    return stack([block, budget_row])


def targets(problem: Problem, layout: Layout) -> RowBlock | None:
    """sum_i E_i x_i >= targets.engagements; sum_i A_i y_i >= targets.reach."""
    wanted = problem.scenario.targets
    blocks = []
    if wanted.engagements is not None:
        blocks.append(_dense_row("targets.engagements", layout.x(), problem.engagements, wanted.engagements, INF))
    if wanted.reach is not None:
        blocks.append(_dense_row("targets.reach", layout.y(), problem.audience, wanted.reach, INF))
    return stack(blocks)


def coverage(problem: Problem, layout: Layout) -> RowBlock | None:
    """sum_i A_ik y_i >= coverage.k.min_reach for each segment k."""
    blocks = [
        _dense_row(f"coverage.{segment}", layout.y(), problem.segment_audience(segment), floor.min_reach, INF)
        for segment, floor in problem.scenario.coverage.items()
    ]
    return stack(blocks)


def per_influencer(problem: Problem, layout: Layout) -> RowBlock | None:
    """c_i x_i <= max_share_per_influencer * S, one row per influencer."""
    share = problem.scenario.diversity.max_share_per_influencer
    if share is None:
        return None
    n, i = problem.n, np.arange(problem.n)
    rows = np.concatenate([i, i])
    cols = np.concatenate([layout.x(), np.full(n, layout.spend)])
    vals = np.concatenate([problem.cost, np.full(n, -share)])
    names = [f"diversity.max_share_per_influencer[{k}]" for k in range(n)]
    return _block(names, rows, cols, vals, np.full(n, -INF), np.zeros(n), owner=i)


def influencer_count(problem: Problem, layout: Layout) -> RowBlock | None:
    """min_influencers <= sum_i y_i <= max_influencers."""
    diversity = problem.scenario.diversity
    if diversity.min_influencers is None and diversity.max_influencers is None:
        return None
    low = diversity.min_influencers if diversity.min_influencers is not None else -INF
    high = diversity.max_influencers if diversity.max_influencers is not None else INF
    return _dense_row("diversity.influencers", layout.y(), np.ones(problem.n), low, high)


def group_limits(problem: Problem, layout: Layout) -> RowBlock | None:
    """For group g of a column: min_share * S <= sum_{i in g} c_i x_i <= max_share * S;
    min_count <= sum_{i in g} y_i <= max_count."""
    blocks = []
    for column, groups in problem.scenario.limits.items():
        values = problem.categories[column]
        for value, limit in groups.items():
            members = np.flatnonzero(values == value)
            name = f"limits.{column}.{value}"
            for share, low, high in ((limit.min_share, 0.0, INF), (limit.max_share, -INF, 0.0)):
                if share is not None:
                    cols = np.append(layout.x(members), layout.spend)
                    vals = np.append(problem.cost[members], -share)
                    bound = "min_share" if high == INF else "max_share"
                    blocks.append(_dense_row(f"{name}.{bound}", cols, vals, low, high))
            if limit.min_count is not None or limit.max_count is not None:
                low = limit.min_count if limit.min_count is not None else -INF
                high = limit.max_count if limit.max_count is not None else INF
                blocks.append(_dense_row(f"{name}.count", layout.y(members), np.ones(len(members)), low, high))
    return stack(blocks)


def distinct(problem: Problem, layout: Layout) -> RowBlock | None:
    """z_g <= sum_{i in g} y_i for each group g of a column, and sum_g z_g >= min_distinct."""
    blocks = []
    for column, (codes, values) in layout.distinct.items():
        start, k = layout.z_start(column), len(values)
        rows = np.concatenate([np.arange(k), codes])
        cols = np.concatenate([start + np.arange(k), layout.y()])
        vals = np.concatenate([np.ones(k), -np.ones(problem.n)])
        names = [f"diversity.min_distinct.{column}.{value}" for value in values]
        blocks.append(_block(names, rows, cols, vals, np.full(k, -INF), np.zeros(k)))
        floor = problem.scenario.diversity.min_distinct[column]
        blocks.append(_dense_row(f"diversity.min_distinct.{column}", start + np.arange(k), np.ones(k), floor, INF))
    return stack(blocks)


CONSTRAINTS = (links, spend, targets, coverage, per_influencer, influencer_count, group_limits, distinct)
