"""Steps 2 and 3 of the diagnosis: which scenario constraints must move, and how far.

2. An elastic model: the scenario's model built without the presolve (build.LOOSE: posts
   not tightened by the budget, included ids as rows) where every scenario constraint may
   move: every row side that carries a scenario `Bound` (milp.py). Each relaxable side gets a
   slack column, `lo <= a.v + s_lo` or `a.v - s_hi <= hi`, with `0 <= s <= M u` for a
   binary indicator u and M the most the row can move over the column box (from the
   arrays). The per-influencer max_share rows share one Bound, so one indicator; each
   included id is a row `y_i + s_i >= 1`. The link rows, the spend definition and the
   distinct indicators stay hard, so relaxing everything always leaves the empty plan.
   Stage 1 minimizes the number of relaxed constraints `sum u`; stage 2, with
   `sum u <= k*`, minimizes the normalized relaxation `sum s / max(1, |rhs|)` (spend-share
   rows scale by the budget instead: their right-hand side is 0).
3. One follow-up solve per relaxed constraint, on the same model without slacks, with the
   other relaxed constraints held at the values of the stage-2 plan: the closest value the
   constraint can take. Floors are maximized, ceilings minimized (budget.max: the cheapest
   plan meeting every other constraint); a spend share is a ratio, found by Dinkelbach's
   iteration from the stage-2 plan's share (usually one or two solves). When a single
   constraint moves and stage 2 was solved to optimality, stage 2 has already pushed it as
   far as the others allow, and no follow-up is needed.

After them, the budget lever: budget.max raised alone, the cheapest plan meeting every
other constraint as asked (one solve), where the relaxation does not already move budget.max.

All of it keeps to the scenario's time limit (DEFAULT_SECONDS when it sets none, at least
1 s): steps 2 and 3 end by 75% of it (stage 1 may take 40% of that, stage 2 30% of what is
left, the follow-ups share the rest), the lever has what is left; a solve stopped early
contributes its best plan. Easy cases end long before: the sample catalog's infeasible.toml
takes about 2 s.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.backend import Solution, solve_linear
from optimizer.build import LOOSE, build_milp
from optimizer.control import note
from optimizer.findings import Finding, num
from optimizer.milp import LOWER, UPPER, Bound, Milp
from optimizer.problem import Problem

DEFAULT_SECONDS = 20.0      # the whole diagnosis, when the scenario sets no time limit: an answer in seconds
SHORTEST_SOLVE = 0.5        # seconds any diagnosis solve gets, even past the budget
RATIO_ROUNDS = 4            # most Dinkelbach solves for one spend share
NEGLIGIBLE = 1e-9          # relative: a move this small is none (rounding of float sums)
VIOLATION = 1e-7           # relative: a stage-2 row off by more than this counts as relaxed
LEVER_SHARE = 0.25          # of the diagnosis time, kept for the budget lever (after the relaxation)


# --- 2. the elastic model ---------------------------------------------------------------------

@dataclass(frozen=True)
class Side:
    """One scenario constraint that may move: its Bound and the rows of the loose model it bounds."""

    bound: Bound
    rows: np.ndarray          # several only for the per-influencer share

    @property
    def sense(self) -> int:   # LOWER: a.v >= lo may drop; UPPER: a.v <= hi may rise
        return self.bound.side


@dataclass(frozen=True)
class Context:
    """The base model (no slacks), its spend column, and the solve options for the diagnosis."""

    problem: Problem
    base: Milp                # build.LOOSE, no slacks
    spend: int
    solver: str
    seconds: float            # the whole diagnosis
    gap: float
    scale: float              # spend scale that normalizes share rows
    started: float = dataclasses.field(default_factory=time.perf_counter)

    @functools.cached_property
    def reachable(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's bounds moved into what a plan can reach over the column box (least, most of
        a.v): a floor above the most becomes the most, a ceiling below the least the least."""
        least, most = self.base.activity_range()
        return np.minimum(self.base.lo, most), np.maximum(self.base.hi, least)

    def solve(self, model: Milp, *, share: float, gap: float | None = None) -> Solution:
        """A MILP solve within `share` of the diagnosis time still left."""
        left = self.seconds - (time.perf_counter() - self.started)
        return solve_linear(model, solver=self.solver, mip=True, time_limit=max(SHORTEST_SOLVE, share * left),
                            gap=self.gap if gap is None else gap)

    def rounded(self, values: np.ndarray) -> np.ndarray:
        """Base columns of a solution: integers rounded, spend recomputed from the posts."""
        v = np.array(values[: self.base.num_cols], dtype=float)
        v[self.base.integer] = np.round(v[self.base.integer])
        n = self.problem.n
        v[self.spend] = float(self.problem.cost @ v[:n] + self.problem.fee @ v[n: 2 * n])
        return v


def _grow(model: Milp, *, cols: tuple | None = None, rows: tuple | None = None,
          nonzeros: tuple | None = None) -> Milp:
    """The model with columns (obj, lb, ub, integer), structural rows (lo, hi) and nonzeros
    (row, column, value; absolute indices) added."""
    obj, lb, ub, integer = cols or (np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, bool))
    lo, hi = rows or (np.zeros(0), np.zeros(0))
    r, c, v = nonzeros or (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    k = len(lo)
    return dataclasses.replace(
        model, obj=np.concatenate([model.obj, obj]), lb=np.concatenate([model.lb, lb]),
        ub=np.concatenate([model.ub, ub]), integer=np.concatenate([model.integer, np.asarray(integer, bool)]),
        lower=model.lower + [None] * k, upper=model.upper + [None] * k,
        rows=np.concatenate([model.rows, np.asarray(r, np.int64)]),
        cols=np.concatenate([model.cols, np.asarray(c, np.int64)]),
        vals=np.concatenate([model.vals, np.asarray(v, float)]),
        lo=np.concatenate([model.lo, lo]), hi=np.concatenate([model.hi, hi]),
        owner=np.concatenate([model.owner, np.full(k, -1, np.int64)]),
        link=np.concatenate([model.link, np.zeros(k, bool)]))


def relaxable_sides(context: Context) -> list[Side]:
    """Every scenario bound of the loose model with a finite value, in the order of its first
    row; the sides without a Bound stay hard."""
    model = context.base
    rows: dict[Bound, list[int]] = {}
    for r, pair in enumerate(zip(model.lower, model.upper)):
        for bound, limit in zip(pair, (model.lo[r], model.hi[r])):
            if bound is not None and math.isfinite(limit):
                rows.setdefault(bound, []).append(r)
    return [Side(bound, np.array(found, dtype=np.int64)) for bound, found in rows.items()]


def _norm(context: Context, side: Side, r: int) -> float:
    """What one unit of slack on row r weighs: 1 / max(1, |rhs|) (the rhs moved into reach, so that an
    unreachable 1e15 weighs like the data), spend shares and the CPE ceiling (a row in money) by the spend scale."""
    if side.bound.kind in ("share", "cpe"):
        return max(1.0, context.scale)
    lo, hi = context.reachable
    return max(1.0, abs(lo[r] if side.sense == LOWER else hi[r]))


def elastic_model(context: Context, sides: list[Side]) -> tuple[Milp, list[Side], np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """The base model with one slack column and one indicator for each side that can be violated at all.

    A side's slack enters each of its rows (the per-influencer shares share one: their
    largest excess). A bound no plan can reach (a floor above the row's most, a ceiling below
    its least) is moved to that most (least) in this model: every plan must relax it, by an
    amount that differs by the same constant, so nothing changes but the size of M, which
    stays within the data's own range however large the scenario's number. Returns the
    model, the sides kept, their indicator and slack columns, and each slack's weight in stage 2.
    """
    base = context.base
    lo, hi = context.reachable
    least, most = base.activity_range()
    kept, bounds, weights, entries = [], [], [], []
    for side in sides:
        rows = side.rows
        reach = lo[rows] - least[rows] if side.sense == LOWER else most[rows] - hi[rows]
        movable = reach > NEGLIGIBLE * np.maximum(1.0, np.abs(reach))
        if not movable.any():
            continue
        entries.append((rows[movable], side.sense))
        bounds.append(float(reach[movable].max()))
        weights.append(1.0 / _norm(context, side, int(rows[0])))
        kept.append(side)
    s = len(kept)
    slack = base.num_cols + np.arange(s)
    indicator = base.num_cols + s + np.arange(s)
    m = np.array(bounds)
    count = np.array([len(rows) for rows, _ in entries], dtype=np.int64)
    link_rows = base.num_rows + np.arange(s)
    model = _grow(
        dataclasses.replace(base, lo=lo, hi=hi),
        cols=(np.zeros(2 * s), np.zeros(2 * s), np.concatenate([m, np.ones(s)]),
              np.concatenate([np.zeros(s, bool), np.ones(s, bool)])),
        rows=(np.full(s, -np.inf), np.zeros(s)),
        nonzeros=(np.concatenate([np.concatenate([rows for rows, _ in entries] or [np.zeros(0, np.int64)]),
                                  link_rows, link_rows]),
                  np.concatenate([np.repeat(slack, count), slack, indicator]),
                  np.concatenate([np.repeat([sense for _, sense in entries], count).astype(float), np.ones(s), -m])))
    return model, kept, indicator, slack, np.array(weights)


def minimal_relaxation(problem: Problem) -> list[Finding]:
    """The minimal relaxation (stages 1 and 2, then the closest value of each relaxed constraint),
    and the budget lever where budget.max is not among the relaxed."""
    options = problem.scenario.solver
    base, layout = build_milp(problem, LOOSE)
    budget = problem.scenario.budget.max
    seconds = max(options.time_limit, 1.0) if options.time_limit else DEFAULT_SECONDS
    note(f"no plan meets every constraint: finding what to relax (at most {seconds:g} s)")
    context = Context(problem, base, layout.spend, options.name, seconds, options.gap,
                      scale=float(budget) if budget else float(base.ub[layout.spend]))
    entries = _relaxation(dataclasses.replace(context, seconds=(1 - LEVER_SHARE) * seconds))
    if any(entry.key == "budget.max" for entry in entries):
        return entries
    lever = budget_lever(context)
    return entries + ([lever] if lever is not None else [])


def budget_lever(context: Context) -> Finding | None:
    """The lever a planner reaches first: budget.max raised alone, every other constraint as asked.
    One solve for the cheapest such plan; None without budget.max or when no budget would do."""
    base = context.base
    rows = base.rows_of("budget.max")
    if not len(rows):
        return None
    hi = base.hi.copy()
    hi[rows] = np.inf
    obj = np.zeros(base.num_cols)
    obj[context.spend] = -1.0
    solution = context.solve(dataclasses.replace(base, obj=obj, hi=hi), share=1.0)
    if solution.values is None:
        return None
    cost = float(context.rounded(solution.values)[context.spend])
    which = "the cheapest plan" if solution.status == "optimal" else "a plan found within the time limit"
    return Finding("budget.max", float(base.hi[rows[0]]), cost,
                   f"budget.max: or raise the budget to {num(cost)}, the cost of {which} meeting every other "
                   f"constraint as asked", side=UPPER)


def _relaxation(context: Context) -> list[Finding]:
    """Stages 1 and 2, then the closest value of each relaxed constraint."""
    base, spend = context.base, context.spend
    every = relaxable_sides(context)
    model, sides, indicator, slack_cols, weights = elastic_model(context, every)
    if not sides and not any(_beyond_reach(context, side) for side in every):
        return []
    obj = np.zeros(model.num_cols)
    obj[indicator] = -1.0
    first = context.solve(dataclasses.replace(model, obj=obj), share=0.4, gap=0.0)
    if first.values is None:
        return [Finding("scenario", None, None, f"the diagnosis found no relaxation within its time limit of "
                                                   f"{context.seconds:g} s; raise solver.time_limit to diagnose")]
    count = round(first.values[indicator].sum())
    obj = np.zeros(model.num_cols)
    obj[slack_cols] = -weights
    capped = _grow(dataclasses.replace(model, obj=obj), rows=(np.array([-np.inf]), np.array([float(count)])),
                   nonzeros=(np.full(len(indicator), model.num_rows), indicator, np.ones(len(indicator))))
    second = context.solve(capped, share=0.3)
    plan = second if second.values is not None else first
    v = context.rounded(plan.values)
    activity = base.activity(v)
    # every side, kept or not: a floor above a row that no plan can move (a segment no eligible
    # creator has) is relaxed by every plan, and the elastic model has no slack for it
    relaxed = [side for side in every if _violated(context, side, activity)]
    held_lo, held_hi = base.lo.copy(), base.hi.copy()
    for side in relaxed:
        _widen(context, side, activity, held_lo, held_hi)
    # one relaxation, stage 2 optimal: it already pushed that row as far as the others allow
    settled = len(relaxed) == 1 and plan is second and second.status == "optimal"
    entries = [_closest(context, side, v, activity, held_lo, held_hi, 1 / (len(relaxed) - k), settled)
               for k, side in enumerate(relaxed)]
    if first.status != "optimal":
        entries = [dataclasses.replace(entry, message=entry.message + "; the time limit ran out before the "
                                                                       "fewest relaxations were proven")
                   for entry in entries]
    return entries


def _violated(context: Context, side: Side, activity: np.ndarray) -> bool:
    base = context.base
    tolerance = np.array([VIOLATION * _norm(context, side, r) for r in side.rows])
    if side.sense == LOWER:
        return bool(np.any(activity[side.rows] < base.lo[side.rows] - tolerance))
    return bool(np.any(activity[side.rows] > base.hi[side.rows] + tolerance))


def _beyond_reach(context: Context, side: Side) -> bool:
    """Whether no plan meets the side (a floor above the most its rows can reach, a ceiling below the
    least): the reachable bound it is moved to lies beyond the tolerance."""
    lo, hi = context.reachable
    rows, base, tolerance = side.rows, context.base, VIOLATION * _norm(context, side, int(side.rows[0]))
    if side.sense == LOWER:
        return bool(np.any(base.lo[rows] - lo[rows] > tolerance))
    return bool(np.any(hi[rows] - base.hi[rows] > tolerance))


def _widen(context: Context, side: Side, activity: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """Hold a relaxed side at its value in the stage-2 plan (never tighter than asked)."""
    rows = side.rows
    slack = np.array([NEGLIGIBLE * _norm(context, side, r) for r in rows])
    if side.sense == LOWER:
        lo[rows] = np.minimum(lo[rows], activity[rows] - slack)
    else:
        hi[rows] = np.maximum(hi[rows], activity[rows] + slack)


# --- 3. the closest value of each relaxed constraint --------------------------------------------

def _closest(context: Context, side: Side, plan: np.ndarray, activity: np.ndarray, held_lo: np.ndarray,
             held_hi: np.ndarray, share: float, settled: bool = False) -> Finding:
    """One diagnosis entry: the constraint freed, the others held, its best value found
    (`settled`: the stage-2 plan's value is that best already)."""
    lo, hi = held_lo.copy(), held_hi.copy()
    if side.sense == LOWER:
        lo[side.rows] = -np.inf
    else:
        hi[side.rows] = np.inf
    if side.bound.kind == "include":
        return _describe(context, side, 0.0, True, held_hi)
    if side.bound.kind == "share":
        return _describe(context, side, *_ratio(context, side, plan, lo, hi, share), held_hi)
    if side.bound.kind == "cpe":         # a ratio S / E: the stage-2 plan's (a plan that exists, maybe not the least)
        engaged = float(context.problem.engagements @ plan[: context.problem.n])
        return _describe(context, side, plan[context.spend] / engaged if engaged > 0 else None, False, held_hi)
    r = int(side.rows[0])
    if settled:
        return _describe(context, side, float(activity[r]), True, held_hi)
    base = context.base
    mask = base.rows == r
    obj = np.zeros(base.num_cols)
    np.add.at(obj, base.cols[mask], base.vals[mask] * side.sense)
    solution = context.solve(dataclasses.replace(base, obj=obj, lo=lo, hi=hi), share=share)
    value = float(activity[r])
    if solution.values is not None:
        found = float(base.activity(context.rounded(solution.values))[r])
        value = max(value, found) if side.sense == LOWER else min(value, found)
    return _describe(context, side, value, solution.status == "optimal", held_hi)


def _ratio(context: Context, side: Side, plan: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           share: float) -> tuple[float | None, bool]:
    """The best spend share for a share side (largest for min_share, smallest otherwise) and
    whether it is proven, by Dinkelbach's iteration: with w the group's spend (or the largest
    single spend), solve max w - t S (or max t S - w) and move t to the new plan's share until
    nothing improves."""
    base, spend = context.base, context.spend
    w = base.num_cols
    on_side = np.isin(base.rows, side.rows)
    cols = np.where(on_side & (base.cols == spend), w, base.cols)
    vals = np.where(on_side & (base.cols == spend), -1.0, base.vals)
    lo, hi = lo.copy(), hi.copy()
    lo[side.rows] = 0.0 if len(side.rows) == 1 else -np.inf     # w = the group's spend, or >= each single one
    hi[side.rows] = 0.0
    model = _grow(dataclasses.replace(base, cols=cols, vals=vals, lo=lo, hi=hi),
                  cols=(np.zeros(1), np.zeros(1), np.array([base.ub[spend]]), np.zeros(1, bool)))
    best = _share(context, side, plan)
    if best is None:
        return None, False
    for _ in range(RATIO_ROUNDS):
        obj = np.zeros(model.num_cols)
        obj[w], obj[spend] = side.sense, -side.sense * best
        solution = context.solve(dataclasses.replace(model, obj=obj), share=share / 2)
        found = None if solution.values is None else _share(context, side, context.rounded(solution.values))
        if found is None or (found <= best + NEGLIGIBLE if side.sense == LOWER else found >= best - NEGLIGIBLE):
            return best, solution.status == "optimal"
        best = found
    return best, False


def _share(context: Context, side: Side, v: np.ndarray) -> float | None:
    """The group's share of spend in a plan (for the per-influencer rows: the largest one's)."""
    base, spend = context.base, context.spend
    if v[spend] <= 0:
        return None
    mask = np.isin(base.rows, side.rows) & (base.cols != spend)
    numerator = np.bincount(base.rows[mask], weights=base.vals[mask] * v[base.cols[mask]], minlength=base.num_rows)
    return float(numerator[side.rows].max()) / float(v[spend])


UNPROVEN = " (the best found within the time limit)"


def _describe(context: Context, side: Side, value: float | None, proven: bool, held_hi: np.ndarray) -> Finding:
    """The entry for a relaxed side, in the planner's words; `proven`: no plan does better than `value`."""
    bound = side.bound
    name = bound.key
    if bound.kind == "unique" and value is not None:     # the row's N L back to people: N (1 - e^-L)
        value = float(bound.population * -math.expm1(-value / bound.population))
    if bound.kind == "include":
        return Finding(name, 1, 0, f"{name}: {bound.ident} cannot be booked together with the other "
                                   f"constraints; drop it from {name.rsplit('.', 1)[-1]} or relax them",
                       side=LOWER, ident=bound.ident)
    if value is not None:
        value += bound.offset
    shown = f"{num(bound.asked)} of spend{bound.unit}" if bound.kind == "share" else num(bound.asked)
    found = num(value)
    if name == "budget.max":
        text = (f"budget.max: {shown} too small; the cheapest plan meeting every other constraint costs {found}"
                if proven else f"budget.max: {shown} too small; a plan meeting every other constraint costs {found}")
    elif name == "budget.min":
        text = (f"budget.min: {shown} too large; a plan meeting every other constraint spends at most {found}"
                if proven else f"budget.min: {shown} too large; a plan meeting every other constraint spends {found}")
    elif bound.kind == "cpe":    # the relaxed plan's S / E: one plan's ratio, not searched for the least
        return Finding(name, bound.asked, value, f"{name}: asked at most {shown}, a plan meeting every other "
                                                 f"constraint costs {found}{bound.unit}", side=side.sense)
    elif side.sense == LOWER:
        text = (f"{name}: asked {shown}, {'at most ' if proven else ''}{found}{bound.unit} reachable "
                f"{_context(context, held_hi)}")
    else:
        text = f"{name}: asked at most {shown}, the other constraints need {'at least ' if proven else ''}{found}"
    return Finding(name, bound.asked, value, text + ("" if proven else UNPROVEN), side=side.sense)


def _context(context: Context, held_hi: np.ndarray) -> str:
    """'with budget 5,000' (the budget held, at its relaxed value when it moved too)."""
    rows = context.base.rows_of("budget.max")
    if not len(rows) or not math.isfinite(held_hi[rows[0]]):
        return "with the other constraints held"
    return f"with budget {num(held_hi[rows[0]])}"
