"""LP relaxations of the fast path, handed to HiGHS directly and warm-started.

The fast path solves many LPs on growing candidate sets and on branches that differ from
their parent by a bound or two. Through PuLP each one is built from scratch (0.67 s for
6,500 candidates at 100,000 rows); here the arrays go to `highspy` as they are (0.02 s),
and each solve starts from the previous basis: a branch re-solves in about 0.02 s.
MILPs still go through PuLP (`optimizer.backend`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.backend import silence_highs_banner, stop_check
from optimizer.control import check_stop
from optimizer.milp import Milp

BASIC, AT_LOWER = highspy.HighsBasisStatus.kBasic, highspy.HighsBasisStatus.kLower


class LPFailure(RuntimeError):
    """HiGHS ended an LP relaxation neither optimal nor infeasible, even from a cold start."""


@dataclass(frozen=True)
class LPSolution:
    """An LP on a candidate set, in the model's maximize form: optimal, or infeasible
    (objective and values None, duals a Farkas ray where HiGHS gives one)."""

    candidates: np.ndarray        # the influencers it was solved on (sorted positions)
    objective: float | None
    values: np.ndarray | None     # one per column of the restricted model (x, y of the candidates, then extras)
    duals: np.ndarray | None      # one per row of the whole model (0 for rows of influencers not in the set)


class WarmLP:
    """The LP relaxation of `model` restricted to a candidate set, kept in one HiGHS instance.

    The set only grows: an LP asked for on some candidates is solved on all the candidates
    seen so far, which keeps the basis valid from one solve to the next (and the LP no worse).
    """

    def __init__(self, model: Milp) -> None:
        silence_highs_banner()
        self.model = model
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        stop_check(self.highs)
        self.candidates = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)    # whole-model column of each column HiGHS holds
        self.rows = np.zeros(0, dtype=np.int64)    # whole-model row of each row HiGHS holds
        self.order = np.zeros(0, dtype=np.int64)   # HiGHS's columns in whole-model order (the restricted model's)
        self.lower = self.upper = np.zeros(0)      # the bounds HiGHS holds on its columns
        self.seconds = 0.0                         # spent in HiGHS and in handing it models
        self.carried = False                       # retargeted: its basis comes from another model

    def fits(self, model: Milp) -> bool:
        """Whether `model` has this one's shape (influencers, columns, rows and their owners), so
        that the candidates and the basis carry to it (`retarget`)."""
        return (model.n, model.num_cols, model.num_rows) == (self.model.n, self.model.num_cols,
                                                             self.model.num_rows) and np.array_equal(
            model.owner, self.model.owner)

    def retarget(self, model: Milp) -> None:
        """Solve the LPs of `model` from now on: a model that `fits` this one, with other bounds,
        sides or coefficients (the next point of a sweep). The candidates seen so far and the last
        basis carry over; the seconds count anew."""
        if not self.fits(model):
            raise ValueError("retarget needs a model of the same shape")
        self.model = model
        self.seconds = 0.0
        self.carried = True
        if len(self.candidates):
            started = time.perf_counter()
            self._load(self.candidates)
            self.seconds += time.perf_counter() - started

    def forget_basis(self) -> None:
        """Solve the next LP from scratch (on the same candidates): its optimal vertex is then the one a
        cold solve finds, whatever basis came before."""
        self.highs.clearSolver()

    def solve(self, candidates: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> LPSolution:
        """The LP on `candidates` (sorted positions) and those seen before, under column bounds
        `lb`, `ub` of the whole model."""
        check_stop()
        started = time.perf_counter()
        if not np.isin(candidates, self.candidates, assume_unique=True).all():
            self._grow(np.union1d(self.candidates, candidates))
        self._bound(lb[self.cols], ub[self.cols])
        status = self._run()
        check_stop()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible):
            self.forget_basis()                    # a warm start gone wrong numerically: once more, cold
            status = self._run()
        try:
            if status == highspy.HighsModelStatus.kInfeasible:
                _, has_ray, ray = self.highs.getDualRay()
                return LPSolution(self.candidates, None, None, self._whole(ray) if has_ray else None)
            if status != highspy.HighsModelStatus.kOptimal:
                raise LPFailure(f"HiGHS stopped an LP relaxation with status {status.name}")
            solution = self.highs.getSolution()
            return LPSolution(self.candidates, 0.0 - self.highs.getInfo().objective_function_value,
                              np.asarray(solution.col_value)[self.order], self._whole(solution.row_dual))
        finally:
            self.seconds += time.perf_counter() - started

    def _bound(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Give HiGHS's columns these bounds, changing only those that differ from what it holds (a
        branch moves a few)."""
        moved = np.flatnonzero((lower != self.lower) | (upper != self.upper))
        if len(moved):
            self.highs.changeColsBounds(len(moved), moved.astype(np.int32), lower[moved], upper[moved])
        self.lower, self.upper = lower, upper

    def _whole(self, row_values) -> np.ndarray:
        """Row duals (or a ray) on the whole model's rows, in the maximize convention
        (HiGHS minimizes the negated objective)."""
        duals = np.zeros(self.model.num_rows)
        duals[self.rows] = -np.asarray(row_values)
        return duals

    def _run(self) -> highspy.HighsModelStatus:
        self.highs.run()
        return self.highs.getModelStatus()

    def _load(self, candidates: np.ndarray) -> None:
        """Hand HiGHS the model on the new candidates, starting from the old basis where it
        has one (new columns at their lower bound, new rows basic)."""
        restricted, cols, rows = self.model.restrict(candidates)
        basis = self.highs.getBasis() if len(self.cols) else None
        order = np.lexsort((restricted.rows, restricted.cols))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = restricted.num_cols, restricted.num_rows
        lp.col_cost_ = -restricted.obj
        lp.col_lower_, lp.col_upper_ = restricted.lb, restricted.ub
        lp.row_lower_, lp.row_upper_ = restricted.lo, restricted.hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(restricted.cols[order], np.arange(restricted.num_cols + 1))
        lp.a_matrix_.index_ = restricted.rows[order]
        lp.a_matrix_.value_ = restricted.vals[order]
        self.highs.passModel(lp)
        if basis is not None and basis.valid:
            self.highs.setBasis(self._carried(basis, cols, rows))
        self.candidates, self.cols, self.rows, self.order = candidates, cols, rows, np.arange(len(cols))
        self.lower, self.upper = restricted.lb, restricted.ub

    def _grow(self, candidates: np.ndarray) -> None:
        """Add the columns and rows of the influencers in `candidates` that HiGHS does not hold yet
        to its LP: a pass over the model's entries instead of restricting the whole model again. HiGHS
        keeps its basis (new columns at a bound, new rows basic), as `_load` hands it over."""
        if not len(self.cols):
            self._load(candidates)
            return
        model, n = self.model, self.model.n
        fresh = np.zeros(n, dtype=bool)
        fresh[candidates] = True
        fresh[self.candidates] = False
        new = np.flatnonzero(fresh)
        cols = np.concatenate([new, new + n, model.owned.cols[fresh[model.owned.owner]]])
        rows = np.flatnonzero((model.owner >= 0) & fresh[np.maximum(model.owner, 0)])
        col_at = _positions(model.num_cols, self.cols, cols)
        row_at = _positions(model.num_rows, self.rows, rows)
        entry_col, entry_row = col_at[model.cols], row_at[model.rows]
        held_cols, held_rows = len(self.cols), len(self.rows)
        in_new_col = (entry_col >= held_cols) & (entry_row >= 0) & (entry_row < held_rows)
        self.highs.addCols(len(cols), -model.obj[cols], model.lb[cols], model.ub[cols],
                           *_compressed(entry_col[in_new_col] - held_cols, entry_row[in_new_col],
                                        model.vals[in_new_col], len(cols)))
        in_new_row = (entry_row >= held_rows) & (entry_col >= 0)
        self.highs.addRows(len(rows), model.lo[rows], model.hi[rows],
                           *_compressed(entry_row[in_new_row] - held_rows, entry_col[in_new_row],
                                        model.vals[in_new_row], len(rows)))
        self.candidates = candidates
        self.cols, self.rows = np.concatenate([self.cols, cols]), np.concatenate([self.rows, rows])
        self.lower, self.upper = np.concatenate([self.lower, model.lb[cols]]), np.concatenate([self.upper, model.ub[cols]])
        self.order = np.argsort(self.cols, kind="stable")

    def _carried(self, basis: highspy.HighsBasis, cols: np.ndarray, rows: np.ndarray) -> highspy.HighsBasis:
        """The old basis on the new columns and rows."""
        carried = highspy.HighsBasis()
        carried.col_status = _statuses(basis.col_status, self.cols, cols, AT_LOWER, self.model.num_cols)
        carried.row_status = _statuses(basis.row_status, self.rows, rows, BASIC, self.model.num_rows)
        carried.valid = True
        return carried


def _positions(size: int, held: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Each whole-model index's place in HiGHS's LP once `added` follows `held` (-1: not in it)."""
    at = np.full(size, -1, dtype=np.int64)
    at[held] = np.arange(len(held))
    at[added] = len(held) + np.arange(len(added))
    return at


def _compressed(major: np.ndarray, minor: np.ndarray, values: np.ndarray,
                count: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Entries as HiGHS takes them for added columns (or rows): their number, each column's start,
    the row of each entry and its value, in column order."""
    order = np.argsort(major, kind="stable")
    starts = np.searchsorted(major[order], np.arange(count)).astype(np.int32)
    return len(order), starts, minor[order].astype(np.int32), values[order]


def _statuses(old_status: list, old: np.ndarray, new: np.ndarray, default, size: int) -> list:
    """Status of each `new` index: its old status where it had one, else `default`."""
    position = np.full(size, -1, dtype=np.int64)
    position[old] = np.arange(len(old))
    where = position[new]
    return [old_status[k] if k >= 0 else default for k in where.tolist()]
