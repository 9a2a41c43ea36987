"""The fast path: prove most influencers out with LP duals, then solve the exact MILP on the rest.

1. LP relaxation by column generation: solve it on a candidate subset (warm-started in
   HiGHS, `optimizer.warm_lp`), price every other influencer with the duals in numpy, add
   the profitable ones, repeat. Where the subset has no plan at all, HiGHS's Farkas ray is
   priced the same way: it either proves the whole LP infeasible or names who could help.
2. Lagrangian bound: for duals pi of the right signs, every plan satisfies
   `objective <= L(pi) = pi.b + sum_i v_i + sum_extra max(d_j lb_j, d_j ub_j)`, where each
   influencer's block value `v_i = max(0, w_i)` is the best of its choices at reduced costs
   `d = obj - A^T pi`: not booked, or booked with `w_i = max_k (k rx_i + ry_i + sum_{j <= k} rd_ij)`
   over k in [l_i, m_i] (l_i = its fewest posts, at least 1; m_i = its most; rd_ij the reduced
   cost of its post slot j where the model has slots: post j comes only after post j - 1;
   v_i = w_i when it must be booked). The link rows among i's own columns (y_i <= x_i <= m_i y_i,
   the slot rows) hold at every such choice and are kept exact; every other row is dualized,
   and i's other owned columns (dropout columns p_i) count like shared ones, at their best bound.
   A plan that books i is worth at most `U_i = L - v_i + w_i`.
   The bound holds for any such pi, so it never depends on the LP solve being exact.
3. A MILP on a heuristic core (the LP's support, the best U_i and the best U_i per dollar
   of spend), first solved in its LP's neighbourhood (optimizer/rounding.py), gives a plan worth z.
   Every influencer with `U_i <= z (1 + gap)` cannot improve it beyond the gap: the proven
   core is the rest. If the heuristic core holds it, the plan stands.
4. Otherwise the LP bound is too weak (a few expensive influencers at fractional posts).
   A small branch-and-bound tightens it: branch on a fractional influencer (not booked /
   booked, or fewer / more posts), chosen by strong branching among the most expensive
   fractional ones (the one whose two branches' LPs fall furthest), bound each branch by
   its own column-generated LP, and drop branches whose bound is below z (1 + gap). A plan
   better than z (1 + gap) lies in some open leaf and books only influencers of that
   leaf's proven core, so the union of the leaves' proven cores holds every such plan.
5. The MILP on that union, with z as a cutoff, either finds a better plan or proves that
   none beats z by more than the gap. The bound reported is the MILP's bound, or
   z (1 + gap) after a cut-off proof, and never below what the proof left outside.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from optimizer.backend import Solution, solve_linear
from optimizer.build import build_milp
from optimizer.control import Interrupted, stop_requested
from optimizer.milp import Milp
from optimizer.outcome import Outcome, within_gap
from optimizer.problem import Problem
from optimizer.replan import previously_booked
from optimizer.reuse import Reuse
from optimizer.rounding import solve_rounded
from optimizer.strengthen import books_one_of
from optimizer.warm_lp import WarmLP

DIRECT_BELOW = 1500       # below this many influencers the whole MILP is solved at once
FIRST_CANDIDATES = 150    # per ranking, in the first restricted LP
GROUP_CANDIDATES = 25     # per group of a limit or a distinct floor
RANKED = 20_000           # a ranking's length (widening past it takes everyone)
CORE_MIN = 400            # smallest heuristic core for the first MILP
MAX_ROUNDS = 40           # column generation rounds
LEAF_CORE = 2000          # a branch whose proven core is this small is not split further
MAX_NODES = 200           # branches bounded by their own LP, at most
TREE_SECONDS = 10.0       # and no new branch after this long in the tree (or past the time limit)
STRONG = 4                # fractional influencers tried as the branching choice of a branch
HUGE_CORE = 20_000        # within a time limit, no MILP on a proven core larger than this
CORE_GROWTH = 4           # a heuristic core with no plan grows by this factor until it has one

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relaxation:
    """A column-generated LP bound and what follows from it for each influencer."""

    bound: float                 # L: no plan (of this branch) is worth more
    value: float                 # the LP's optimum on the candidates (at most L)
    potential: np.ndarray        # U_i: no plan booking i is worth more (inf where i must be booked)
    candidates: np.ndarray       # the influencers of the last restricted LP
    support: np.ndarray          # those it books (x_i + y_i > 0)
    fractional: list[Choice]     # the most expensive fractional choices, most expensive first


Choice = tuple[int, float, float]  # an influencer, its posts and its booked value in an LP


def solve_fast(problem: Problem, *, direct_below: int = DIRECT_BELOW, core_min: int = CORE_MIN,
               leaf_core: int = LEAF_CORE, max_nodes: int = MAX_NODES, model: Milp | None = None,
               reuse: Reuse | None = None, clock: Clock | None = None) -> Outcome:
    """The optimal plan within the scenario's gap, with a proven bound (steps of the module docstring);
    `model`: the problem's model when the caller built it (with cuts of its own), else built here;
    `reuse` lends the last solve's warm LP and rankings (optimizer/reuse.py); `clock`: the time
    already spent on this solve (None: it starts now)."""
    options = problem.scenario.solver
    clock = Clock(options.time_limit) if clock is None else clock
    model = build_milp(problem)[0] if model is None else model
    if problem.n < max(direct_below, 1):   # small enough (or nobody eligible): the whole MILP at once
        return clock.outcome(clock.solve(model, gap=options.gap), problem.n, np.arange(problem.n), None)
    lp, rankings = (WarmLP(model), candidate_rankings(problem, model)) if reuse is None else (
        reuse.search(problem, model, candidate_rankings))
    search = Search(lp, rankings, problem.cost, clock)
    clock.warm = search.lp
    root = relax(model, search)         # steps 1 and 2: column-generated LP, Lagrangian bound per influencer
    if root is None:
        return Outcome("infeasible", None, None, clock.elapsed - clock.solving, clock.solving)
    size = core_min + len(root.support)
    while True:                         # step 3: the MILP on a heuristic core
        core = np.union1d(np.concatenate(core_orders(problem, root, model.ub[: problem.n], size)), root.support)
        first = solve_rounded(model.restrict(core)[0], clock.solve, options.gap)
        if first.status != "infeasible" or len(core) == problem.n:
            break
        size *= CORE_GROWTH
    log.debug("fast: %d influencers, LP bound %.6g, support %d, core %d -> %s %s",
              problem.n, root.bound, len(root.support), len(core), first.status, first.objective)
    if first.status in ("infeasible", "no_solution"):
        return clock.outcome(first, problem.n, core, None)
    threshold = within_gap(first.objective, options.gap)
    if first.status == "time_limit" or np.isin(np.flatnonzero(root.potential > threshold), core).all():
        return clock.outcome(first, problem.n, core, _outside(root.potential, core))
    if search.lp.carried:               # the tree branches from this point's own LP vertex, not one
        search.lp.forget_basis()        # the last point's basis led to (see the retry below)
        root = relax(model, search, start=root.candidates) or root
    try:                                # step 4: branch-and-bound shrinks the proven core
        proven, tree_bound = prove(model, search, root, threshold, leaf_core, max_nodes)
    except Interrupted:                 # stopped in the tree: the first plan, under the root's bound
        return clock.outcome(first, problem.n, core, root.bound, "time_limit")
    log.debug("fast: proven core %d, of it outside the first core %d, tree bound %.6g",
              len(proven), np.setdiff1d(proven, core).size, tree_bound)
    if np.isin(proven, core).all():
        return clock.outcome(first, problem.n, core, threshold, "optimal")
    if len(proven) > HUGE_CORE and reuse is not None and search.lp.carried:
        # a carried LP can leave the tree at a vertex it cannot branch away from (a budget of 316,000
        # at 100,000 rows after five lower ones, before the basis was dropped for the tree: 70,000
        # proven, then a 400 s MILP; 0 from its own LP): once more from a fresh LP, as a solve alone
        log.debug("fast: proven core %d from a carried basis; again from a fresh LP", len(proven))
        clock.retire(search.lp)
        return solve_fast(problem, direct_below=direct_below, core_min=core_min, leaf_core=leaf_core,
                          max_nodes=max_nodes, model=model, reuse=reuse.without_lp(), clock=clock)
    if options.time_limit is not None and len(proven) > HUGE_CORE:
        # HiGHS's presolve overruns time limits on models this size: report what is proven
        return clock.outcome(first, problem.n, core, tree_bound, "time_limit")
    # step 5: every plan worth more than the threshold books only influencers of the proven core,
    # and (when the first MILP proved its core) at least one outside the first core
    second = clock.solve(second_model(model, proven, core, first, threshold), gap=options.gap, cutoff=threshold)
    if second.status == "cut_off":      # nothing in the proven core beats the first plan beyond the gap
        return clock.outcome(first, problem.n, core, threshold, "optimal")
    better = second.values is not None and second.objective > first.objective
    best, on = (second, proven) if better else (first, core)
    if second.status == "optimal":
        return clock.outcome(best, problem.n, on, max(second.bound, threshold), "optimal")
    # the second solve stopped early: keep the better plan, bounded as well as known
    bound = tree_bound if second.bound is None else max(second.bound, threshold)
    return clock.outcome(best, problem.n, on, bound, "time_limit")


def second_model(model: Milp, proven: np.ndarray, core: np.ndarray, first: Solution, threshold: float) -> Milp:
    """The MILP of step 5 on the proven core. When the first MILP proved that no plan on its core
    is worth more than the threshold, a better plan books someone of the proven core outside the
    first core: the row saying so keeps HiGHS from proving the first core's plans again."""
    restricted = model.restrict(proven)[0]
    if first.status != "optimal" or first.bound is None or first.bound > threshold:
        return restricted
    return books_one_of(restricted, np.flatnonzero(~np.isin(proven, core)))


def core_orders(problem: Problem, root: Relaxation, max_posts: np.ndarray,
                count: int | None = None) -> list[np.ndarray]:
    """Influencers by what booking them loses against the LP bound (L - U_i), and by that loss
    per dollar they can spend (`max_posts`: the model's bound on x_i); the first `count` of
    each, or all: small influencers lose little in total, large ones that replace a fractional
    one in a tight share lose little per dollar."""
    loss = root.bound - root.potential
    spend = np.maximum(problem.cost * max_posts, 1e-9)
    return [_best_first(-loss, count), _best_first(-loss / spend, count)]


def prove(model: Milp, search: Search, root: Relaxation, threshold: float,
          leaf_core: int, max_nodes: int) -> tuple[np.ndarray, float]:
    """The influencers a plan worth more than `threshold` may book (any plan booking another
    one is worth at most `threshold`), and the best bound of the open leaves. Splits the
    branch with the largest proven core first, for at most TREE_SECONDS."""
    stop = search.clock.elapsed + TREE_SECONDS
    leaves: list[tuple[Milp, Relaxation]] = []
    open_nodes = [(model, root)]
    nodes = 0
    while open_nodes:
        open_nodes.sort(key=lambda node: int((node[1].potential > threshold).sum()))
        node_model, node = open_nodes.pop()
        size = int((node.potential > threshold).sum())
        out_of_time = search.clock.out_of_time or search.clock.elapsed > stop
        if size <= leaf_core or not node.fractional or nodes + 2 > max_nodes or out_of_time:
            leaves.append((node_model, node))
            continue
        for child_model in branches(node_model, strong_choice(node_model, node, search)):
            nodes += 1
            child = relax(child_model, search, start=node.candidates)
            if child is not None and child.bound > threshold:
                open_nodes.append((child_model, child))
    log.debug("fast: %d branches bounded, %d leaves", nodes, len(leaves))
    cores = [np.flatnonzero(leaf.potential > threshold) for _, leaf in leaves]
    proven = np.unique(np.concatenate(cores)) if cores else np.zeros(0, dtype=np.int64)
    return proven, max([threshold] + [leaf.bound for _, leaf in leaves])


def strong_choice(model: Milp, node: Relaxation, search: Search) -> Choice:
    """The fractional choice whose two branches' LPs (on the branch's candidates) fall furthest
    below the branch's LP: the product of the two falls, an infeasible branch falling furthest."""
    if len(node.fractional) == 1:
        return node.fractional[0]
    best, chosen = -1.0, node.fractional[0]
    for choice in node.fractional:
        falls = []
        for child in branches(model, choice):
            solution = search.lp.solve(node.candidates, child.lb, child.ub)
            falls.append(np.inf if solution.objective is None else max(node.value - solution.objective, 1e-9))
        score = min(falls) * max(falls)
        if score > best:
            best, chosen = score, choice
    return chosen


def branches(model: Milp, fractional: Choice) -> list[Milp]:
    """Two models that split the influencer's fractional choice: not booked / booked, or
    at most floor(posts) / at least ceil(posts)."""
    i, posts, booked = fractional
    n = model.n
    low_ub, high_lb = model.ub.copy(), model.lb.copy()
    if 1e-6 < booked < 1 - 1e-6:
        low_ub[[i, n + i]] = 0.0
        high_lb[[i, n + i]] = 1.0
    else:
        low_ub[i] = np.floor(posts)
        high_lb[i] = np.ceil(posts)
        high_lb[n + i] = 1.0
    return [replace(model, ub=low_ub), replace(model, lb=high_lb)]


@dataclass
class Clock:
    """Time spent, in the solvers and in all, against the scenario's time limit."""

    limit: float | None
    started: float = field(default_factory=time.perf_counter)
    milp_seconds: float = 0.0
    warm: WarmLP | None = None      # its LP seconds count as solving
    retired_seconds: float = 0.0    # LP seconds of warm LPs no longer used

    def retire(self, lp: WarmLP) -> None:
        """Keep the seconds of a warm LP that another one replaces."""
        self.retired_seconds += lp.seconds

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def solving(self) -> float:
        return self.milp_seconds + self.retired_seconds + (self.warm.seconds if self.warm is not None else 0.0)

    @property
    def out_of_time(self) -> bool:
        return stop_requested() or (self.limit is not None and self.elapsed >= self.limit)

    def solve(self, model: Milp, **options) -> Solution:
        """solve_linear within the time left; no solve once the limit has passed (building a large
        core's model and HiGHS's presolve take seconds whatever the limit)."""
        if self.out_of_time:
            return Solution("no_solution", None, None, None, None, 0.0, 0.0)
        left = None if self.limit is None else max(self.limit - self.elapsed, 0.01)
        solution = solve_linear(model, time_limit=left, **options)
        self.milp_seconds += solution.solve_seconds
        return solution

    def outcome(self, solution: Solution, n: int, core: np.ndarray, outside: float | None,
                status: str | None = None) -> Outcome:
        """Posts of every influencer from a solve on `core`; bound = max(core bound, outside)."""
        build = self.elapsed - self.solving
        if solution.values is None:
            return Outcome(solution.status, None, None, build, self.solving)
        posts = np.zeros(n, dtype=np.int64)
        posts[core] = np.round(solution.values[: len(core)]).astype(np.int64)
        bound = solution.bound
        if bound is not None and outside is not None:
            bound = max(bound, outside)
        return Outcome(status or solution.status, posts, bound, build, self.solving)


@dataclass(frozen=True)
class Search:
    """What every LP of the fast path shares."""

    lp: WarmLP
    rankings: list[np.ndarray]   # where candidates come from (candidate_rankings)
    cost: np.ndarray             # c_i: weighs fractional choices
    clock: Clock


def relax(model: Milp, search: Search, start: np.ndarray | None = None) -> Relaxation | None:
    """Column generation for the LP relaxation of `model` (the whole model or a branch of it),
    from `start` (or the rankings' best) plus every influencer that must be booked; None when
    even the whole LP is infeasible."""
    n, rankings = model.n, search.rankings
    must = (model.lb[:n] >= 1) | (model.lb[n: 2 * n] >= 1)
    take = FIRST_CANDIDATES
    candidates = np.union1d(_top(rankings, take, n) if start is None else start, np.flatnonzero(must))
    rounds = 0
    while True:
        solution = search.lp.solve(candidates, model.lb, model.ub)
        candidates = solution.candidates
        if solution.objective is None:              # infeasible on these candidates
            proven, entering = farkas(model, solution.duals, candidates)
            if proven or (len(entering) == 0 and len(candidates) == n):
                return None
            if len(entering):
                candidates = np.union1d(candidates, entering[: max(200, len(candidates) // 2)])
            else:                                   # no ray to price with: widen by the rankings
                take *= 4
                candidates = np.union1d(candidates, _top(rankings, take, n))
            continue
        bound, block, booked = lagrangian(model, solution.duals)
        rounds += 1
        outside = _outside_of(candidates, n)
        scale = max(1.0, abs(solution.objective))
        entering = outside[block[outside] > 1e-9 * scale]
        converged = bound - solution.objective <= 1e-7 * scale
        if converged or len(entering) == 0 or rounds >= MAX_ROUNDS:
            break
        best = entering[np.argsort(-block[entering], kind="stable")[: max(200, len(candidates) // 2)]]
        candidates = np.union1d(candidates, best)
    log.debug("fast: LP after %d rounds on %d influencers: %.6g, bound %.6g", rounds, len(candidates),
              solution.objective, bound)
    k = len(candidates)
    posts, booked_share = solution.values[:k], solution.values[k: 2 * k]
    with np.errstate(invalid="ignore"):
        potential = bound - block + booked
    potential[must] = np.inf
    return Relaxation(bound, solution.objective, potential, candidates, candidates[posts + booked_share > 1e-7],
                      _most_fractional(search.cost[candidates], candidates, posts, booked_share))


def _most_fractional(cost: np.ndarray, candidates: np.ndarray, posts: np.ndarray,
                     booked: np.ndarray) -> list[Choice]:
    """The STRONG influencers whose fractional choices cost the most (spend times distance
    to a whole number), most first."""
    def distance(values: np.ndarray) -> np.ndarray:
        return np.abs(values - np.round(values))
    score = cost * np.maximum(distance(posts), distance(booked))
    best = np.argsort(-score, kind="stable")[:STRONG]
    return [(int(candidates[j]), float(posts[j]), float(booked[j])) for j in best if score[j] > 1e-6]


def farkas(model: Milp, ray: np.ndarray | None, candidates: np.ndarray) -> tuple[bool, np.ndarray]:
    """From a Farkas ray of the LP on `candidates`: whether it proves the whole model (every
    influencer) infeasible, and otherwise the influencers outside that could break the proof,
    most promising first. With a zero objective, L(ray) < 0 means no plan at all exists."""
    if ray is None:
        return False, np.zeros(0, dtype=np.int64)
    bound, block, _ = lagrangian(replace(model, obj=np.zeros_like(model.obj)), ray)
    scale = 1.0 + float(np.abs(ray) @ np.where(np.isfinite(model.lo), np.abs(model.lo), 0.0)) + float(
        np.abs(ray) @ np.where(np.isfinite(model.hi), np.abs(model.hi), 0.0))
    if bound < -1e-9 * scale:
        return True, np.zeros(0, dtype=np.int64)
    outside = _outside_of(candidates, model.n)
    entering = outside[block[outside] > 1e-12 * scale]
    return False, entering[np.argsort(-block[entering], kind="stable")]


def lagrangian(model: Milp, duals: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """L(pi), the block values v_i and the booked values w_i (see the module docstring)."""
    pi = np.where(model.link, 0.0, duals)
    pi = np.where((pi > 0) & ~np.isfinite(model.hi), 0.0, pi)
    pi = np.where((pi < 0) & ~np.isfinite(model.lo), 0.0, pi)
    side = np.where(pi > 0, model.hi, np.where(pi < 0, model.lo, 0.0))
    reduced = model.obj - model.transpose_dot(pi)
    n = model.n
    booked = booked_values(model, reduced)
    must = (model.lb[:n] >= 1) | (model.lb[n: 2 * n] >= 1)
    block = np.where(must, booked, np.maximum(booked, 0.0))
    free = np.ones(model.num_cols - 2 * n, dtype=bool)       # shared columns and owned ones free in their bounds
    free[model.owned.cols[model.owned.slot > 0] - 2 * n] = False
    extra = reduced[2 * n:][free]
    lb, ub = model.lb[2 * n:][free], model.ub[2 * n:][free]
    with np.errstate(invalid="ignore"):
        columns = np.where(extra > 0, extra * ub, np.where(extra < 0, extra * lb, 0.0))
    bound = float(pi @ side + block.sum() + columns.sum())
    return bound, block, booked


def booked_values(model: Milp, reduced: np.ndarray) -> np.ndarray:
    """w_i at reduced costs: the best booked choice of each influencer, k posts in [fewest, most]
    worth `rx_i k + ry_i` plus its first k post slots (-inf where no k is allowed). Without
    slots the best k is an end of the range. Slot columns keep their [0, 1] bounds (branches
    bound x and y)."""
    n = model.n
    rx, ry = reduced[:n], reduced[n: 2 * n]
    fewest, most = np.maximum(model.lb[:n], 1.0), model.ub[:n]
    slots = model.owned.slot > 0
    if not slots.any():
        return np.where(most >= fewest, np.maximum(fewest * rx + ry, most * rx + ry), -np.inf)
    owner, number, cols = model.owned.owner[slots], model.owned.slot[slots], model.owned.cols[slots]
    posts = np.arange(int(number.max()) + 1)
    gain = np.zeros((n, len(posts)))
    gain[owner, number] = reduced[cols]
    value = rx[:, None] * posts + ry[:, None] + np.cumsum(gain, axis=1)
    most = np.minimum(most, np.bincount(owner, minlength=n))   # x_i = sum_j d_ij: no more posts than slots
    allowed = (posts >= fewest[:, None]) & (posts <= most[:, None])
    return np.where(allowed, value, -np.inf).max(axis=1)


def candidate_rankings(problem: Problem, model: Milp) -> list[np.ndarray]:
    """Influencer orders that a good plan draws from: value per dollar of the objective and
    of every floor, cheapest first, and the best of each limited or distinct group."""
    n, cost = problem.n, np.maximum(problem.cost, 1e-9)
    value = model.obj[:n] + model.obj[n: 2 * n]
    scores = [value / cost, -cost, problem.engagements / cost, problem.audience / cost]
    scores += [problem.segment_audience(segment) / cost for segment in problem.scenario.coverage]
    rankings = [_best_first(score, RANKED) for score in scores]
    rankings.append(np.flatnonzero(problem.included))
    rankings.append(previously_booked(problem))     # replan.max_changes keeps most of them booked
    scenario = problem.scenario
    columns = {*scenario.limits, *scenario.diversity.min_distinct}
    labels = {column: pd.factorize(problem.categories[column], use_na_sentinel=False) for column in columns}
    groups = [(column, value) for column, limits in scenario.limits.items() for value in limits]
    groups += [(column, str(v)) for column in scenario.diversity.min_distinct for v in labels[column][1]]
    for column, group in groups:
        codes, values = labels[column]
        found = np.flatnonzero(values.astype(str) == group)
        members = np.flatnonzero(codes == found[0]) if len(found) else np.zeros(0, dtype=np.int64)
        limit = scenario.limits.get(column, {}).get(group)
        extra = (limit.min_count or 0) if limit is not None else 0
        for score in (value / cost, -cost):
            rankings.append(members[_best_first(score[members], GROUP_CANDIDATES + extra)])
    return rankings


def _best_first(score: np.ndarray, count: int | None) -> np.ndarray:
    """Positions by score, highest first: the first `count` (by a partition, O(n)), or all."""
    if count is None or count >= len(score):
        return np.argsort(-score, kind="stable")
    top = np.sort(np.argpartition(-score, count)[:count])
    return top[np.argsort(-score[top], kind="stable")]


def _top(rankings: list[np.ndarray], take: int, n: int) -> np.ndarray:
    """The first `take` of every ranking (all of a short one), as sorted positions; everyone
    once `take` reaches n."""
    if take >= n:
        return np.arange(n)
    return np.unique(np.concatenate([ranking[:take] for ranking in rankings]))


def _outside_of(members: np.ndarray, n: int) -> np.ndarray:
    """The positions 0..n-1 not in `members`, sorted (a mask: setdiff1d sorts, 0.9 s at 1M)."""
    mask = np.ones(n, dtype=bool)
    mask[members] = False
    return np.flatnonzero(mask)


def _outside(potential: np.ndarray, core: np.ndarray) -> float:
    """The best value any plan booking an influencer outside the core could reach."""
    mask = np.ones(len(potential), dtype=bool)
    mask[core] = False
    return float(potential[mask].max(initial=-np.inf))
