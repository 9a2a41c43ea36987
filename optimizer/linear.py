"""A mixed-integer linear program held as numpy arrays, always in maximize form.

Columns 0..n-1 are posts `x_i`, n..2n-1 are booked `y_i` (one pair per eligible
influencer), then any extra columns (spend `S`, distinct indicators `z_g`). Rows are
`lo <= a.v <= hi` in coordinate form; a row `owner` >= 0 belongs to one influencer
(links and per-influencer shares) and disappears with it from a restricted model.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

import numpy as np


@dataclass(frozen=True)
class RowBlock:
    """Rows of one constraint kind: coordinates (local row, column, value) and bounds."""

    names: list[str]
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    owner: np.ndarray | None = None      # influencer of each row, or None when all are shared
    link: np.ndarray | None = None       # bool per row: y_i <= x_i <= m_i y_i (None: none are)


@dataclass(frozen=True)
class LinearModel:
    n: int                   # influencers (x and y pairs)
    obj: np.ndarray          # maximize obj . v
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray      # bool per column
    col_names: list[str]
    row_names: list[str]
    rows: np.ndarray         # coordinates of the nonzeros
    cols: np.ndarray
    vals: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    owner: np.ndarray        # -1 for shared rows
    link: np.ndarray         # bool per row

    @classmethod
    def assemble(cls, n: int, obj: np.ndarray, lb: np.ndarray, ub: np.ndarray,
                 integer: np.ndarray, col_names: list[str], blocks: list[RowBlock]) -> LinearModel:
        """Stack the row blocks into one model."""
        rows = stack(blocks) or RowBlock([], *(np.zeros(0),) * 5)
        return cls(
            n=n, obj=obj, lb=lb, ub=ub, integer=integer, col_names=col_names, row_names=rows.names,
            rows=rows.rows.astype(np.int64), cols=rows.cols.astype(np.int64), vals=rows.vals.astype(float),
            lo=rows.lo.astype(float), hi=rows.hi.astype(float), owner=_owner(rows).astype(np.int64),
            link=_link(rows),
        )

    @property
    def num_rows(self) -> int:
        return len(self.row_names)

    @property
    def num_cols(self) -> int:
        return len(self.obj)

    def activity(self, values: np.ndarray) -> np.ndarray:
        """Row activities a.v for a column vector."""
        return np.bincount(self.rows, weights=self.vals * values[self.cols], minlength=self.num_rows)

    def row_vector(self, name: str) -> np.ndarray:
        """The coefficients of the named row, one per column."""
        row = self.row_names.index(name)
        mask = self.rows == row
        return np.bincount(self.cols[mask], weights=self.vals[mask], minlength=self.num_cols)

    def transpose_dot(self, duals: np.ndarray) -> np.ndarray:
        """A^T . duals: each column's weighted sum over its rows."""
        return np.bincount(self.cols, weights=self.vals * duals[self.rows], minlength=self.num_cols)

    def restrict(self, keep: np.ndarray) -> tuple[LinearModel, np.ndarray, np.ndarray]:
        """The model on the influencers in `keep` (sorted positions), with the old indices of its columns and rows."""
        keep = np.asarray(keep, dtype=np.int64)
        n_extra = self.num_cols - 2 * self.n
        old = np.concatenate([keep, keep + self.n, 2 * self.n + np.arange(n_extra)])
        new_of_old = np.full(self.num_cols, -1, dtype=np.int64)
        new_of_old[old] = np.arange(len(old))
        kept_influencer = np.zeros(self.n, dtype=bool)
        kept_influencer[keep] = True
        row_kept = (self.owner < 0) | kept_influencer[np.maximum(self.owner, 0)]
        new_row = np.cumsum(row_kept) - 1
        owner_new = np.full(self.n, -1, dtype=np.int64)
        owner_new[keep] = np.arange(len(keep))
        nz = row_kept[self.rows] & (new_of_old[self.cols] >= 0)
        names = list(compress(self.col_names, new_of_old >= 0))       # old is sorted
        model = LinearModel(
            n=len(keep), obj=self.obj[old], lb=self.lb[old], ub=self.ub[old],
            integer=self.integer[old], col_names=names,
            row_names=list(compress(self.row_names, row_kept)),
            rows=new_row[self.rows[nz]], cols=new_of_old[self.cols[nz]], vals=self.vals[nz],
            lo=self.lo[row_kept], hi=self.hi[row_kept],
            owner=np.where(self.owner[row_kept] >= 0, owner_new[np.maximum(self.owner[row_kept], 0)], -1),
            link=self.link[row_kept],
        )
        return model, old, np.flatnonzero(row_kept)


def stack(blocks: list[RowBlock]) -> RowBlock | None:
    """Several blocks as one (row numbers shifted), or None when there are none."""
    if not blocks:
        return None
    offsets = np.cumsum([0] + [len(b.names) for b in blocks])
    return RowBlock(
        names=[name for b in blocks for name in b.names],
        rows=np.concatenate([b.rows + offset for b, offset in zip(blocks, offsets)]).astype(np.int64),
        cols=np.concatenate([b.cols for b in blocks]).astype(np.int64),
        vals=np.concatenate([b.vals for b in blocks]),
        lo=np.concatenate([b.lo for b in blocks]),
        hi=np.concatenate([b.hi for b in blocks]),
        owner=np.concatenate([_owner(b) for b in blocks]),
        link=np.concatenate([_link(b) for b in blocks]),
    )


def _owner(block: RowBlock) -> np.ndarray:
    return block.owner if block.owner is not None else np.full(len(block.names), -1, dtype=np.int64)


def _link(block: RowBlock) -> np.ndarray:
    return block.link if block.link is not None else np.zeros(len(block.names), dtype=bool)
