"""The fast path: prove most influencers out with LP duals, then solve the exact MILP on the rest.

1. LP relaxation by column generation: solve it on a candidate subset, price every other
   influencer with the duals in numpy, add the profitable ones, repeat.
2. Lagrangian bound: for duals pi of the right signs, every plan satisfies
   `objective <= L(pi) = pi.b + sum_i v_i + sum_extra max(d_j lb_j, d_j ub_j)`, where each
   influencer's block value `v_i = max(0, w_i)` is the best of its choices at reduced costs
   `d = obj - A^T pi`: not booked, or booked with `w_i = max(l_i rx_i + ry_i, m_i rx_i + ry_i)`
   (l_i = its fewest posts, at least 1; m_i = its most; v_i = w_i when it must be booked).
   A plan that books i is worth at most `U_i = L - v_i + w_i`.
   The bound holds for any such pi, so it never depends on the LP solve being exact.
3. A MILP on a heuristic core (the LP's support and the best U_i) gives a plan worth z.
   Every influencer with `U_i <= z (1 + gap)` cannot improve it beyond the gap: the proven
   core is the rest. If the heuristic core holds it, the plan stands.
4. Otherwise the LP bound is too weak (a few expensive influencers at fractional posts).
   A small branch-and-bound tightens it: branch on a fractional influencer (not booked /
   booked, or fewer / more posts), bound each branch by its own column-generated LP, and
   drop branches whose bound is below z (1 + gap). A plan better than z (1 + gap) lies in
   some open leaf and books only influencers of that leaf's proven core, so the union of
   the leaves' proven cores holds every such plan.
5. The MILP on that union, with z as a cutoff, either finds a better plan or proves that
   none beats z by more than the gap. The bound reported is the MILP's bound, or
   z (1 + gap) after a cut-off proof, and never below what the proof left outside.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np

from optimizer.backend import Solution, solve_linear
from optimizer.linear import LinearModel
from optimizer.model import build_model
from optimizer.outcome import Outcome
from optimizer.problem import Problem

DIRECT_BELOW = 1500       # below this many influencers the whole MILP is solved at once
FIRST_CANDIDATES = 150    # per ranking, in the first restricted LP
GROUP_CANDIDATES = 25     # per group of a limit or a distinct floor
CORE_MIN = 400            # smallest heuristic core for the first MILP
MAX_ROUNDS = 40           # column generation rounds
LEAF_CORE = 2000          # a branch whose proven core is this small is not split further
MAX_NODES = 15            # branches bounded by their own LP, at most
HUGE_CORE = 20_000        # within a time limit, no MILP on a proven core larger than this

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relaxation:
    """A column-generated LP bound and what follows from it for each influencer."""

    bound: float                 # L: no plan (of this branch) is worth more
    potential: np.ndarray        # U_i: no plan booking i is worth more (inf where i must be booked)
    candidates: np.ndarray       # the influencers of the last restricted LP
    support: np.ndarray          # those it books (x_i + y_i > 0)
    fractional: tuple[int, float, float] | None  # influencer, its posts, its booked value: the best to branch on


def solve_fast(problem: Problem, *, direct_below: int = DIRECT_BELOW, core_min: int = CORE_MIN,
               leaf_core: int = LEAF_CORE, max_nodes: int = MAX_NODES) -> Outcome:
    """The optimal plan within the scenario's gap, with a proven bound."""
    options = problem.scenario.solver
    clock = Clock(options.time_limit)
    model, _ = build_model(problem)
    if problem.n < direct_below:
        return clock.outcome(clock.solve(model, gap=options.gap), problem.n, np.arange(problem.n), None)
    rankings = candidate_rankings(problem, model)
    root = relax(model, rankings, clock)
    if root is None:
        return Outcome("infeasible", None, None, clock.elapsed - clock.solving, clock.solving)
    orders = core_orders(problem, root)
    size = core_min + len(root.support)
    while True:
        core = np.union1d(np.concatenate([order[:size] for order in orders]), root.support)
        first = clock.solve(model.restrict(core)[0], gap=options.gap)
        if first.status != "infeasible" or len(core) == problem.n:
            break
        size *= 4
    log.debug("fast: %d influencers, LP bound %.6g, support %d, core %d -> %s %s",
              problem.n, root.bound, len(root.support), len(core), first.status, first.objective)
    if first.status in ("infeasible", "no_solution"):
        return clock.outcome(first, problem.n, core, None)
    threshold = first.objective + options.gap * abs(first.objective)
    if first.status == "time_limit" or np.isin(np.flatnonzero(root.potential > threshold), core).all():
        return clock.outcome(first, problem.n, core, _outside(root.potential, core))
    proven, tree_bound = prove(model, rankings, root, threshold, clock, leaf_core, max_nodes)
    log.debug("fast: proven core %d, of it outside the first core %d, tree bound %.6g",
              len(proven), np.setdiff1d(proven, core).size, tree_bound)
    if np.isin(proven, core).all():
        return clock.outcome(first, problem.n, core, threshold, "optimal")
    if options.time_limit is not None and len(proven) > HUGE_CORE:
        # HiGHS's presolve overruns time limits on models this size: report what is proven
        return clock.outcome(first, problem.n, core, tree_bound, "time_limit")
    wider = np.union1d(core, proven)
    second = clock.solve(model.restrict(wider)[0], gap=options.gap, cutoff=first.objective)
    if second.status == "cut_off":      # nothing in the wider core beats the first plan beyond the gap
        return clock.outcome(first, problem.n, core, threshold, "optimal")
    better = second.values is not None and second.objective > first.objective
    best, on = (second, wider) if better else (first, core)
    if second.status == "optimal":
        return clock.outcome(best, problem.n, on, max(second.bound, threshold), "optimal")
    # the wider solve stopped early: keep the better plan, bounded as well as known
    bound = tree_bound if second.bound is None else max(second.bound, threshold)
    return clock.outcome(best, problem.n, on, bound, "time_limit")


def core_orders(problem: Problem, root: Relaxation) -> list[np.ndarray]:
    """Influencers by what booking them loses against the LP bound (L - U_i), and by that loss
    per dollar they can spend: small influencers lose little in total, large ones that
    replace a fractional one in a tight share lose little per dollar."""
    loss = root.bound - root.potential
    spend = np.maximum(problem.cost * problem.max_posts, 1e-9)
    return [np.argsort(loss, kind="stable"), np.argsort(loss / spend, kind="stable")]


def prove(model: LinearModel, rankings: list[np.ndarray], root: Relaxation, threshold: float, clock: Clock,
          leaf_core: int, max_nodes: int) -> tuple[np.ndarray, float]:
    """The influencers a plan worth more than `threshold` may book (any plan booking another
    one is worth at most `threshold`), and the best bound of the open leaves. Splits the
    branch with the largest proven core first."""
    leaves: list[tuple[LinearModel, Relaxation]] = []
    open_nodes = [(model, root)]
    nodes = 0
    while open_nodes:
        open_nodes.sort(key=lambda node: int((node[1].potential > threshold).sum()))
        node_model, node = open_nodes.pop()
        size = int((node.potential > threshold).sum())
        if size <= leaf_core or node.fractional is None or nodes + 2 > max_nodes:
            leaves.append((node_model, node))
            continue
        for child_model in branches(node_model, node.fractional):
            nodes += 1
            child = relax(child_model, rankings, clock, start=node.candidates)
            if child is not None and child.bound > threshold:
                open_nodes.append((child_model, child))
    log.debug("fast: %d branches bounded, %d leaves", nodes, len(leaves))
    cores = [np.flatnonzero(leaf.potential > threshold) for _, leaf in leaves]
    proven = np.unique(np.concatenate(cores)) if cores else np.zeros(0, dtype=np.int64)
    return proven, max([threshold] + [leaf.bound for _, leaf in leaves])


def branches(model: LinearModel, fractional: tuple[int, float, float]) -> list[LinearModel]:
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
    """Time spent, in the solver and in all, against the scenario's time limit."""

    limit: float | None
    started: float = field(default_factory=time.perf_counter)
    solving: float = 0.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def solve(self, model: LinearModel, limited: bool = True, **options) -> Solution:
        """solve_linear within the time left (or without a limit: the fast LPs)."""
        left = None if self.limit is None or not limited else max(self.limit - self.elapsed, 0.01)
        solution = solve_linear(model, time_limit=left, **options)
        self.solving += solution.solve_seconds
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


def relax(model: LinearModel, rankings: list[np.ndarray], clock: Clock,
          start: np.ndarray | None = None) -> Relaxation | None:
    """Column generation for the LP relaxation, from `start` (or the rankings' best) plus every
    influencer that must be booked; None when even the whole LP is infeasible."""
    n = model.n
    must = (model.lb[:n] >= 1) | (model.lb[n: 2 * n] >= 1)
    take = FIRST_CANDIDATES
    candidates = np.union1d(_top(rankings, take, n) if start is None else start, np.flatnonzero(must))
    rounds = 0
    while True:
        restricted, _, rows = model.restrict(candidates)
        solution = clock.solve(restricted, mip=False, limited=False)
        if solution.status != "optimal":            # infeasible on these candidates: widen
            if len(candidates) == n:
                return None
            take *= 4
            candidates = np.union1d(candidates, _top(rankings, take, n))
            continue
        duals = np.zeros(model.num_rows)
        duals[rows] = solution.duals
        bound, block, booked = lagrangian(model, duals)
        rounds += 1
        outside = np.setdiff1d(np.arange(n), candidates)
        scale = max(1.0, abs(solution.objective))
        entering = outside[block[outside] > 1e-9 * scale]
        converged = bound - solution.objective <= 1e-7 * scale
        if converged or len(entering) == 0 or rounds >= MAX_ROUNDS:
            break
        best = entering[np.argsort(-block[entering], kind="stable")[: max(200, len(candidates) // 2)]]
        candidates = np.union1d(candidates, best)
    log.debug("fast: LP after %d rounds on %d influencers: %.6g, bound %.6g", rounds, len(candidates),
              solution.objective, bound)
    k = restricted.n
    posts, booked_share = solution.values[:k], solution.values[k: 2 * k]
    with np.errstate(invalid="ignore"):
        potential = bound - block + booked
    potential[must] = np.inf
    return Relaxation(bound, potential, candidates, candidates[posts + booked_share > 1e-7],
                      _most_fractional(restricted, candidates, posts, booked_share))


def _most_fractional(restricted: LinearModel, candidates: np.ndarray, posts: np.ndarray,
                     booked: np.ndarray) -> tuple[int, float, float] | None:
    """The influencer whose fractional choice costs the most (spend times distance to a whole number)."""
    def distance(values: np.ndarray) -> np.ndarray:
        return np.abs(values - np.round(values))
    cost = np.abs(restricted.row_vector("spend")[: restricted.n])
    score = cost * np.maximum(distance(posts), distance(booked))
    if score.size == 0 or score.max() <= 1e-6:
        return None
    best = int(np.argmax(score))
    return int(candidates[best]), float(posts[best]), float(booked[best])


def lagrangian(model: LinearModel, duals: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """L(pi), the block values v_i and the booked values w_i (see the module docstring)."""
    pi = np.where(model.link, 0.0, duals)
    pi = np.where((pi > 0) & ~np.isfinite(model.hi), 0.0, pi)
    pi = np.where((pi < 0) & ~np.isfinite(model.lo), 0.0, pi)
    side = np.where(pi > 0, model.hi, np.where(pi < 0, model.lo, 0.0))
    reduced = model.obj - model.transpose_dot(pi)
    n = model.n
    rx, ry = reduced[:n], reduced[n: 2 * n]
    fewest, most = np.maximum(model.lb[:n], 1.0), model.ub[:n]
    booked = np.where(most >= fewest, np.maximum(fewest * rx + ry, most * rx + ry), -np.inf)
    must = (model.lb[:n] >= 1) | (model.lb[n: 2 * n] >= 1)
    block = np.where(must, booked, np.maximum(booked, 0.0))
    extra = reduced[2 * n:]
    lb, ub = model.lb[2 * n:], model.ub[2 * n:]
    with np.errstate(invalid="ignore"):
        columns = np.where(extra > 0, extra * ub, np.where(extra < 0, extra * lb, 0.0))
    bound = float(pi @ side + block.sum() + columns.sum())
    return bound, block, booked


def candidate_rankings(problem: Problem, model: LinearModel) -> list[np.ndarray]:
    """Influencer orders that a good plan draws from: value per dollar of the objective and
    of every floor, cheapest first, and the best of each limited or distinct group."""
    n, cost = problem.n, np.maximum(problem.cost, 1e-9)
    value = model.obj[:n] + model.obj[n: 2 * n]
    scores = [value / cost, -cost, problem.engagements / cost, problem.audience / cost]
    scores += [problem.segment_audience(segment) / cost for segment in problem.scenario.coverage]
    rankings = [np.argsort(-score, kind="stable") for score in scores]
    rankings.append(np.flatnonzero(problem.included))
    scenario = problem.scenario
    columns = {*scenario.limits, *scenario.diversity.min_distinct}
    labels = {column: problem.categories[column].astype(str) for column in columns}
    groups = [(column, value) for column, limits in scenario.limits.items() for value in limits]
    groups += [(column, v) for column in scenario.diversity.min_distinct for v in np.unique(labels[column])]
    for column, group in groups:
        members = np.flatnonzero(labels[column] == group)
        limit = scenario.limits.get(column, {}).get(group)
        extra = (limit.min_count or 0) if limit is not None else 0
        for score in (value / cost, -cost):
            best = members[np.argsort(-score[members], kind="stable")]
            rankings.append(best[: GROUP_CANDIDATES + extra])
    return rankings


def _top(rankings: list[np.ndarray], take: int, n: int) -> np.ndarray:
    """The first `take` of every ranking (all of a short one), as sorted positions."""
    if take >= n:
        return np.arange(n)
    return np.unique(np.concatenate([ranking[:take] for ranking in rankings]))


def _outside(potential: np.ndarray, core: np.ndarray) -> float:
    """The best value any plan booking an influencer outside the core could reach."""
    mask = np.ones(len(potential), dtype=bool)
    mask[core] = False
    return float(potential[mask].max(initial=-np.inf))
