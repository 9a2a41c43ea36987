"""A mixed-integer linear program held as numpy arrays, always in maximize form.

Columns 0..n-1 are posts `x_i`, n..2n-1 are booked `y_i` (one pair per eligible
influencer), then any extra columns (spend `S`, distinct indicators `z_g`, ...). An extra
column may be `Owned` by one influencer (its post slots d_ij, its dropout column p_i): it
leaves a restricted model with its influencer. Rows are
`lo <= a.v <= hi` in coordinate form. Each side of a row that a scenario key sets carries
that key as a `Bound` (its identity: the verifier, the Result and the diagnosis use the
same name); a side without one is structural and never relaxed. A row `owner` >= 0
belongs to one influencer (links and per-influencer shares) and disappears with it from a
restricted model; a `link` row lies among one influencer's own columns and holds at each of
its whole choices (not booked, or booked with k posts and its first k slots), so that the
fast path's Lagrangian keeps it exact. See docs/reference.md "The model".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress

import numpy as np

LOWER, UPPER = 1, -1     # the side of a row a bound sets: a.v >= lo, or a.v <= hi


@dataclass(frozen=True)
class Bound:
    """One side of a scenario constraint, as data: the key that sets it and how to read it.

    Every row a Bound is attached to carries the same object (the per-influencer share is
    one Bound on n rows). `kind` tells the diagnosis how the constraint moves: "level" (the
    row's activity against `asked`: budgets, floors, counts), "share" (a spend share: the row
    is `sum c x - asked * S`, moved as a ratio), "include" (an included id, `y_i >= 1`), "unique"
    (a unique-reach floor in log space: `asked` people, the row against -ln(1 - asked / N)), "cpe" (the row
    `S - asked * sum E x <= 0`, reported as the ratio S / E).
    """

    key: str                  # scenario key, e.g. "limits.tier.micro.min_share", "budget.max"
    side: int                 # LOWER or UPPER
    asked: float              # the scenario's value (the share, for a share row)
    kind: str = "level"       # level | share | include
    unit: str = ""            # how a value reads after its number: " creators", " distinct niche values"
    ident: str | None = None  # the included id, for kind "include"
    population: float | None = None  # kind "unique": N, turning the row's log sum L into people N (1 - e^-L)
    offset: float = 0.0       # added to the row's activity to give the key's value (replan.max_changes)


@dataclass(frozen=True)
class RowBlock:
    """Rows of one constraint kind: coordinates (local row, column, value), bounds, identity."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    lower: list[Bound | None]            # what sets each row's lo (None: structural)
    upper: list[Bound | None]            # what sets each row's hi
    owner: np.ndarray | None = None      # influencer of each row, or None when all are shared
    link: np.ndarray | None = None       # bool per row: a link row of the module docstring (None: none are)


@dataclass(frozen=True)
class Owned:
    """Extra columns that belong to one influencer each (sorted by column).

    A post-slot column (`slot` j >= 1: post j of its influencer, bought only after post j - 1)
    is 1 exactly when the influencer gets at least j posts; any other owned column (`slot` 0)
    is free within its bounds. Another kind of owned column plugs in by its own slot rule
    here and its price in optimizer/fast.py `lagrangian`.
    """

    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    slot: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class Milp:
    n: int                   # influencers (x and y pairs)
    obj: np.ndarray          # maximize obj . v
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray      # bool per column
    rows: np.ndarray         # coordinates of the nonzeros
    cols: np.ndarray
    vals: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    lower: list[Bound | None]  # the scenario bound on each row's lo side
    upper: list[Bound | None]  # the scenario bound on each row's hi side
    owner: np.ndarray        # -1 for shared rows
    link: np.ndarray         # bool per row
    owned: Owned = field(default_factory=Owned)  # extra columns of one influencer (columns added later are shared)

    @classmethod
    def assemble(cls, n: int, obj: np.ndarray, lb: np.ndarray, ub: np.ndarray, integer: np.ndarray,
                 blocks: list[RowBlock], owned: Owned | None = None) -> Milp:
        """Stack the row blocks into one model."""
        rows = stack(blocks) or RowBlock(*(np.zeros(0),) * 5, [], [])
        return cls(
            n=n, obj=obj, lb=lb, ub=ub, integer=integer,
            rows=rows.rows.astype(np.int64), cols=rows.cols.astype(np.int64), vals=rows.vals.astype(float),
            lo=rows.lo.astype(float), hi=rows.hi.astype(float), lower=rows.lower, upper=rows.upper,
            owner=_owner(rows).astype(np.int64), link=_link(rows), owned=owned or Owned(),
        )

    @property
    def num_rows(self) -> int:
        return len(self.lo)

    @property
    def num_cols(self) -> int:
        return len(self.obj)

    def activity(self, values: np.ndarray) -> np.ndarray:
        """Row activities a.v for a column vector."""
        return np.bincount(self.rows, weights=self.vals * values[self.cols], minlength=self.num_rows)

    def activity_range(self) -> tuple[np.ndarray, np.ndarray]:
        """The least and the most of each row's a.v over the column bounds."""
        low = np.minimum(self.vals * self.lb[self.cols], self.vals * self.ub[self.cols])
        high = np.maximum(self.vals * self.lb[self.cols], self.vals * self.ub[self.cols])
        return (np.bincount(self.rows, weights=low, minlength=self.num_rows),
                np.bincount(self.rows, weights=high, minlength=self.num_rows))

    def rows_of(self, key: str) -> np.ndarray:
        """The rows a scenario key bounds, on either side."""
        return np.array([r for r, (low, high) in enumerate(zip(self.lower, self.upper))
                         if (low is not None and low.key == key) or (high is not None and high.key == key)],
                        dtype=np.int64)

    def transpose_dot(self, duals: np.ndarray) -> np.ndarray:
        """A^T . duals: each column's weighted sum over its rows."""
        return np.bincount(self.cols, weights=self.vals * duals[self.rows], minlength=self.num_cols)

    def restrict(self, keep: np.ndarray) -> tuple[Milp, np.ndarray, np.ndarray]:
        """The model on the influencers in `keep` (sorted positions), with the old indices of its
        columns and rows: their x, y and owned columns, the shared columns, their rows and the shared ones."""
        keep = np.asarray(keep, dtype=np.int64)
        kept_influencer = np.zeros(self.n, dtype=bool)
        kept_influencer[keep] = True
        extra_kept = np.ones(self.num_cols - 2 * self.n, dtype=bool)
        extra_kept[self.owned.cols - 2 * self.n] = kept_influencer[self.owned.owner]
        old = np.concatenate([keep, keep + self.n, 2 * self.n + np.flatnonzero(extra_kept)])
        new_of_old = np.full(self.num_cols, -1, dtype=np.int64)
        new_of_old[old] = np.arange(len(old))
        row_kept = (self.owner < 0) | kept_influencer[np.maximum(self.owner, 0)]
        kept_rows = np.flatnonzero(row_kept)
        new_row = np.cumsum(row_kept) - 1
        owner_new = np.full(self.n, -1, dtype=np.int64)
        owner_new[keep] = np.arange(len(keep))
        nz = row_kept[self.rows] & (new_of_old[self.cols] >= 0)
        mine = kept_influencer[self.owned.owner]
        owned = Owned(new_of_old[self.owned.cols[mine]], owner_new[self.owned.owner[mine]], self.owned.slot[mine])
        model = Milp(
            n=len(keep), obj=self.obj[old], lb=self.lb[old], ub=self.ub[old], integer=self.integer[old],
            rows=new_row[self.rows[nz]], cols=new_of_old[self.cols[nz]], vals=self.vals[nz],
            lo=self.lo[row_kept], hi=self.hi[row_kept],
            lower=list(compress(self.lower, row_kept)), upper=list(compress(self.upper, row_kept)),
            owner=np.where(self.owner[row_kept] >= 0, owner_new[np.maximum(self.owner[row_kept], 0)], -1),
            link=self.link[row_kept], owned=owned,
        )
        return model, old, kept_rows


def stack(blocks: list[RowBlock]) -> RowBlock | None:
    """Several blocks as one (row numbers shifted), or None when there are none."""
    if not blocks:
        return None
    offsets = np.cumsum([0] + [len(b.lo) for b in blocks])
    return RowBlock(
        rows=np.concatenate([b.rows + offset for b, offset in zip(blocks, offsets)]).astype(np.int64),
        cols=np.concatenate([b.cols for b in blocks]).astype(np.int64),
        vals=np.concatenate([b.vals for b in blocks]),
        lo=np.concatenate([b.lo for b in blocks]),
        hi=np.concatenate([b.hi for b in blocks]),
        lower=[bound for b in blocks for bound in b.lower],
        upper=[bound for b in blocks for bound in b.upper],
        owner=np.concatenate([_owner(b) for b in blocks]),
        link=np.concatenate([_link(b) for b in blocks]),
    )


def _owner(block: RowBlock) -> np.ndarray:
    return block.owner if block.owner is not None else np.full(len(block.lo), -1, dtype=np.int64)


def _link(block: RowBlock) -> np.ndarray:
    return block.link if block.link is not None else np.zeros(len(block.lo), dtype=bool)
