"""One builder per constraint kind, each in bulk from numpy arrays (docs/reference.md "The model").

Every builder takes the Problem and the column Layout and returns a RowBlock (or None where
the scenario does not set the constraint). Rows are `lo <= a.v <= hi`; each side a scenario
key sets carries that key as a `Bound`. `links` and `spend_definition` are structural (no
key: never relaxed); the others are registered with their independent checks in
optimizer/registry.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.catalog_rules import named_cells
from models.scenario import Scenario
from optimizer.audience import epigraph_segments, needs_slots, robust_floors
from optimizer.milp import LOWER, UPPER, Bound, RowBlock, stack
from optimizer.problem import Problem

INF = np.inf


@dataclass(frozen=True)
class Layout:
    """Column positions: x_i at i, y_i at n + i, spend S at 2n, z_g for each distinct group after;
    then, where the scenario needs them (docs/reference.md "Audience", "Dropouts"): the post
    slots d_ij, the dropout columns t, p_1..p_n of each robust floor, and L_k, t_k of each
    segment of a targeted_reach objective with [audience]; last, eta and u_1..u_R of the risk
    objective (optimizer/risk.py)."""

    n: int
    distinct: dict[str, tuple[np.ndarray, list[str]]]  # column -> (group code of each influencer, group values)
    slots: np.ndarray | None = None     # post slots per influencer ([audience]), else None
    robust: tuple[str, ...] = ()        # keys of the floors with dropout columns ([robustness] dropouts > 0)
    epigraph: tuple[str, ...] = ()      # segments with L_k, t_k (targeted_reach with [audience])
    risk_runs: int = 0                  # runs R of the risk objective: columns eta, u_1..u_R (0: none)

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
    def _slots_start(self) -> int:
        return 2 * self.n + 1 + sum(len(values) for _, values in self.distinct.values())

    @property
    def num_slots(self) -> int:
        return 0 if self.slots is None else int(self.slots.sum())

    def d(self) -> np.ndarray:
        """Every post-slot column, influencer by influencer, slot 1 first."""
        return self._slots_start + np.arange(self.num_slots)

    def slot_owner(self) -> np.ndarray:
        """The influencer of each post slot."""
        return np.repeat(np.arange(self.n), self.slots if self.slots is not None else 0)

    def slot_number(self) -> np.ndarray:
        """j of each post slot (1 for a creator's first post)."""
        owner = self.slot_owner()
        first = np.concatenate([[0], np.cumsum(self.slots)[:-1]]) if self.num_slots else np.zeros(self.n, np.int64)
        return np.arange(self.num_slots) - first[owner] + 1

    def t(self, key: str) -> int:
        """The dropout threshold column t of a robust floor; its p_1..p_n follow it."""
        return self._slots_start + self.num_slots + self.robust.index(key) * (self.n + 1)

    def epigraph_cols(self, segment: str) -> tuple[int, int]:
        """The columns L_k (segment log sum) and t_k (its unique reach, bounded by tangent cuts)."""
        start = self._slots_start + self.num_slots + len(self.robust) * (self.n + 1)
        k = self.epigraph.index(segment)
        return start + 2 * k, start + 2 * k + 1

    def eta(self) -> int:
        """The risk objective's threshold column eta; u_1..u_R follow it."""
        return self._slots_start + self.num_slots + len(self.robust) * (self.n + 1) + 2 * len(self.epigraph)

    def u(self) -> np.ndarray:
        """The risk objective's shortfall column u_r of each run."""
        return self.eta() + 1 + np.arange(self.risk_runs)

    def extra_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lb, ub, integer of the columns after S: z_g and d_ij binary, t, p_i, L_k, t_k, eta, u_r continuous >= 0."""
        binary = self._slots_start - 2 * self.n - 1 + self.num_slots
        continuous = len(self.robust) * (self.n + 1) + 2 * len(self.epigraph) + self._risk_columns
        return (np.zeros(binary + continuous), np.concatenate([np.ones(binary), np.full(continuous, INF)]),
                np.concatenate([np.ones(binary, dtype=bool), np.zeros(continuous, dtype=bool)]))

    @property
    def num_cols(self) -> int:
        return self.eta() + self._risk_columns

    @property
    def _risk_columns(self) -> int:
        return self.risk_runs + 1 if self.risk_runs else 0


def layout_for(problem: Problem, max_posts: np.ndarray | None = None) -> Layout:
    """Group codes for every column named in [diversity] min_distinct; for a unique-reach objective
    or floor, or risk on engagements, one post slot per post each influencer may get (`max_posts`, the catalog's
    by default); the robust floors and the epigraph segments (optimizer/audience.py); the risk runs."""
    distinct = {}
    for column in problem.scenario.diversity.min_distinct:
        cells = problem.categories[column]
        named = named_cells(cells)
        values, found = np.unique(cells[named].astype(str), return_inverse=True)
        codes = np.full(len(cells), -1, dtype=np.int64)     # an empty cell is in no group
        codes[named] = found
        distinct[column] = (codes, [str(v) for v in values])
    slots = None
    risk = problem.scenario.objective.risk
    if needs_slots(problem.scenario) or (risk is not None and problem.scenario.objective.metric == "engagements"):
        slots = (problem.max_posts if max_posts is None else max_posts).astype(np.int64)
    return Layout(problem.n, distinct, slots, robust_floors(problem.scenario), epigraph_segments(problem.scenario),
                  risk.runs if risk is not None else 0)


def _block(rows, cols, vals, lo, hi, lower: list, upper: list, owner=None, link=False) -> RowBlock:
    return RowBlock(np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=float),
                    np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), lower, upper, owner,
                    np.full(len(lower), link))


def _row(cols: np.ndarray, vals: np.ndarray, lower: Bound | None = None, upper: Bound | None = None,
         lo: float | None = None, hi: float | None = None) -> RowBlock:
    """A single row over the given columns: `lower.asked <= a.v <= upper.asked` (or the given lo, hi)."""
    lo = lo if lo is not None else (lower.asked if lower is not None else -INF)
    hi = hi if hi is not None else (upper.asked if upper is not None else INF)
    return _block(np.zeros(len(cols), dtype=np.int64), cols, vals, [lo], [hi], [lower], [upper])


def _bound(key: str, side: int, value: float | None, **kind) -> Bound | None:
    return None if value is None else Bound(key, side, float(value), **kind)


# --- structural rows --------------------------------------------------------------------------

def links(problem: Problem, layout: Layout, max_posts: np.ndarray) -> RowBlock:
    """y_i <= x_i <= m_i y_i: booked if and only if at least one post."""
    n, i = problem.n, np.arange(problem.n)
    rows = np.concatenate([i, i, n + i, n + i])
    cols = np.concatenate([layout.x(), layout.y(), layout.x(), layout.y()])
    vals = np.concatenate([np.ones(n), -np.ones(n), np.ones(n), -max_posts.astype(float)])
    lo = np.concatenate([np.zeros(n), np.full(n, -INF)])
    hi = np.concatenate([np.full(n, INF), np.zeros(n)])
    none = [None] * (2 * n)
    return _block(rows, cols, vals, lo, hi, none, none, owner=np.concatenate([i, i]), link=True)


def spend_terms(problem: Problem, layout: Layout, members: np.ndarray | slice = slice(None)) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Columns and coefficients of the members' spend sum c_i x_i + f_i y_i (the one spend definition:
    total, group shares and per-influencer shares all use it)."""
    return (np.concatenate([layout.x(members), layout.y(members)]),
            np.concatenate([problem.cost[members], problem.fee[members]]))


def spend_definition(problem: Problem, layout: Layout) -> RowBlock:
    """S = sum_i c_i x_i + f_i y_i."""
    cols, vals = spend_terms(problem, layout)
    return _row(np.append(cols, layout.spend), np.append(vals, -1.0), lo=0.0, hi=0.0)


def include_rows(problem: Problem, layout: Layout) -> RowBlock | None:
    """y_i >= 1 for each included id, key selection.include (when the presolve does not make
    them bounds)."""
    ids = problem.catalog.frame["id"].to_numpy(object)[problem.positions]
    included = np.flatnonzero(problem.included)
    return stack([_row(layout.y(np.array([i])), np.ones(1),
                       lower=Bound("selection.include", LOWER, 1.0, kind="include", ident=str(ids[i])))
                  for i in included])


# --- scenario constraints ---------------------------------------------------------------------

def budget_range(scenario: Scenario) -> tuple[float, float]:
    """budget.min and budget.max as the bounds of S (-inf, inf where unset): the budget, read once."""
    budget = scenario.budget
    return (budget.min if budget.min is not None else -INF, budget.max if budget.max is not None else INF)


def budget(problem: Problem, layout: Layout) -> RowBlock | None:
    """budget.min <= S <= budget.max."""
    low, high = budget_range(problem.scenario)
    if low == -INF and high == INF:
        return None
    return _row(np.array([layout.spend]), np.array([1.0]),
                lower=_bound("budget.min", LOWER, None if low == -INF else low),
                upper=_bound("budget.max", UPPER, None if high == INF else high), lo=low, hi=high)


def targets(problem: Problem, layout: Layout) -> RowBlock | None:
    """sum_i E_i x_i >= targets.engagements; sum_i A_i y_i >= targets.reach."""
    wanted = problem.scenario.targets
    blocks = []
    if wanted.engagements is not None:
        blocks.append(_row(layout.x(), problem.engagements,
                           lower=_bound("targets.engagements", LOWER, wanted.engagements)))
    if wanted.reach is not None:
        blocks.append(_row(layout.y(), problem.audience, lower=_bound("targets.reach", LOWER, wanted.reach)))
    return stack(blocks)


def coverage(problem: Problem, layout: Layout) -> RowBlock | None:
    """sum_i A_ik y_i >= coverage.k.min_reach for each segment k (named coverage.k)."""
    return stack([_row(layout.y(), problem.segment_audience(segment),
                       lower=_bound(f"coverage.{segment}", LOWER, floor.min_reach))
                  for segment, floor in problem.scenario.coverage.items()])


def max_cpe(problem: Problem, layout: Layout) -> RowBlock | None:
    """S - max_cpe * sum_i E_i x_i <= 0: the plan's cost per engagement at most targets.max_cpe."""
    cpe = problem.scenario.targets.max_cpe
    if cpe is None:
        return None
    return _row(np.append(layout.x(), layout.spend), np.append(-cpe * problem.engagements, 1.0), hi=0.0,
                upper=Bound("targets.max_cpe", UPPER, float(cpe), kind="cpe", unit=" per engagement"))


def per_influencer(problem: Problem, layout: Layout) -> RowBlock | None:
    """c_i x_i + f_i y_i <= max_share_per_influencer * S, one row per influencer (one Bound for all)."""
    share = problem.scenario.diversity.max_share_per_influencer
    if share is None:
        return None
    n, i = problem.n, np.arange(problem.n)
    rows = np.concatenate([i, i, i])
    cols = np.concatenate([*spend_terms(problem, layout)[:1], np.full(n, layout.spend)])
    vals = np.concatenate([*spend_terms(problem, layout)[1:], np.full(n, -share)])
    bound = Bound("diversity.max_share_per_influencer", UPPER, float(share), kind="share", unit=" per creator")
    return _block(rows, cols, vals, np.full(n, -INF), np.zeros(n), [None] * n, [bound] * n, owner=i)


def influencer_count(problem: Problem, layout: Layout) -> RowBlock | None:
    """min_influencers <= sum_i y_i <= max_influencers."""
    diversity = problem.scenario.diversity
    if diversity.min_influencers is None and diversity.max_influencers is None:
        return None
    return _row(layout.y(), np.ones(problem.n),
                lower=_bound("diversity.min_influencers", LOWER, diversity.min_influencers, unit=" creators"),
                upper=_bound("diversity.max_influencers", UPPER, diversity.max_influencers, unit=" creators"))


def group_limits(problem: Problem, layout: Layout) -> RowBlock | None:
    """For group g of a column: min_share * S <= sum_{i in g} (c_i x_i + f_i y_i) <= max_share * S;
    min_count <= sum_{i in g} y_i <= max_count."""
    blocks = []
    for column, groups in problem.scenario.limits.items():
        values = problem.categories[column]
        for value, limit in groups.items():
            members = np.flatnonzero(values == value)
            name = f"limits.{column}.{value}"
            spend_cols, spend_vals = spend_terms(problem, layout, members)
            cols = np.append(spend_cols, layout.spend)
            if limit.min_share is not None:
                blocks.append(_row(cols, np.append(spend_vals, -limit.min_share), lo=0.0, hi=INF,
                                   lower=Bound(f"{name}.min_share", LOWER, float(limit.min_share), kind="share")))
            if limit.max_share is not None:
                blocks.append(_row(cols, np.append(spend_vals, -limit.max_share), lo=-INF, hi=0.0,
                                   upper=Bound(f"{name}.max_share", UPPER, float(limit.max_share), kind="share")))
            if limit.min_count is not None or limit.max_count is not None:
                blocks.append(_row(layout.y(members), np.ones(len(members)),
                                   lower=_bound(f"{name}.min_count", LOWER, limit.min_count, unit=" creators"),
                                   upper=_bound(f"{name}.max_count", UPPER, limit.max_count, unit=" creators")))
    return stack(blocks)


def distinct(problem: Problem, layout: Layout) -> RowBlock | None:
    """z_g <= sum_{i in g} y_i for each group g of a column (structural), and sum_g z_g >= min_distinct."""
    blocks = []
    for column, (codes, values) in layout.distinct.items():
        start, k = layout.z_start(column), len(values)
        member = codes >= 0
        rows = np.concatenate([np.arange(k), codes[member]])
        cols = np.concatenate([start + np.arange(k), layout.y()[member]])
        vals = np.concatenate([np.ones(k), -np.ones(int(member.sum()))])
        blocks.append(_block(rows, cols, vals, np.full(k, -INF), np.zeros(k), [None] * k, [None] * k))
        floor = problem.scenario.diversity.min_distinct[column]
        blocks.append(_row(start + np.arange(k), np.ones(k),
                           lower=Bound(f"diversity.min_distinct.{column}", LOWER, float(floor),
                                       unit=f" distinct {column} values")))
    return stack(blocks)
