"""Rows that a solve may add to a model it hands to HiGHS: valid for every plan it still has to consider."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer.milp import Milp


def with_row(model: Milp, cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> Milp:
    """The model with one more structural row `lo <= sum vals * v[cols] <= hi` (shared: no owner,
    no scenario key, so never reported or relaxed)."""
    row = model.num_rows
    return replace(model, rows=np.append(model.rows, np.full(len(cols), row, dtype=np.int64)),
                   cols=np.append(model.cols, np.asarray(cols, dtype=np.int64)),
                   vals=np.append(model.vals, np.asarray(vals, dtype=float)),
                   lo=np.append(model.lo, lo), hi=np.append(model.hi, hi),
                   lower=[*model.lower, None], upper=[*model.upper, None],
                   owner=np.append(model.owner, -1), link=np.append(model.link, False))


def books_one_of(model: Milp, members: np.ndarray) -> Milp:
    """The model with `sum_{i in members} y_i >= 1`: the plans that book at least one of `members`
    (positions of the model's influencers)."""
    members = np.asarray(members, dtype=np.int64)
    return with_row(model, model.n + members, np.ones(len(members)), 1.0, np.inf)
