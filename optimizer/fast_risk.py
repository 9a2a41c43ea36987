"""The risk objective on the fast path (docs/part-two-risk.md "Fit with the fast path").

The scenario rows `u_r - eta + L_r >= 0` are dense, so they never go on the whole model: only on
the candidates of a restricted LP and on the core. What proves everyone else out is the dual form
of CVaR. For run duals mu_r in [0, w / (a R)] with sum mu_r = w (what makes the reduced costs of
eta and u_r nonpositive), the Lagrangian decomposes by influencer: slot j of influencer i is worth
`(1 - w) delta_i E_i + E_i sum_r mu_r D_ri F_rij` (engagements; booking it `(1 - w) delta_i A_i +
A_i sum_r mu_r D_ri` for gross reach), priced in numpy over the kept draws of optimizer/risk.py
(one float32 vector-matrix product per slot). With the duals pi of the scenario's other rows, the
block value of i is the best of: not booked, or k posts in [l_i, m_i] at the cumulative slot
values less k times the posts' reduced cost, plus the booking's (the slots of one influencer
are taken in order, so this is exact). Steps:

1. The mean LP (the fast path's column generation, `fast.relax`, on the scenario's rows with the
   expected objective) names the first candidates.
2. Column generation with the scenario rows: the risk LP on the candidates, priced over every
   influencer with its duals (pi, mu); the profitable ones enter. Its Lagrangian bound L and each
   influencer's `U_i = L - v_i + w_i` hold for the sampled problem, whatever LP gave the duals.
3. A first plan worth z by diving in the risk LP (`dive`; the MILP on a heuristic core when the dive
   has none). If L <= z (1 + gap) the plan is proven. Otherwise everyone with `U_i <= z (1 + gap)` is
   proven out, and the MILP on the proven core (scenario rows on it only), with z as a cutoff, finds a
   better plan or proves none beats z by more than the gap. The bound is the MILP's (never below the
   best U_i the proof left outside), at most L. There is no branch-and-bound (fast.py's step 4): with
   a proven core above DENSE_CORE the plan is reported as time_limit with the LP bound.

The draws are kept per catalog (optimizer/risk.py `run_draws`), so the model, the pricing and the
Result's `risk_value` read the same numbers.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace

import numpy as np

from optimizer.build import build_milp
from optimizer.constraints import Layout
from optimizer.fast import (CORE_GROWTH, CORE_MIN, DIRECT_BELOW, FIRST_CANDIDATES, MAX_ROUNDS, Clock,
                            Relaxation, Search, _outside, _outside_of, candidate_rankings, core_orders, relax)
from optimizer.floors import post_slots
from optimizer.milp import Milp, RowBlock
from optimizer.outcome import Outcome, within_gap
from optimizer.problem import Problem
from optimizer.rounding import neighbourhood
from optimizer.backend import Solution
from optimizer.risk import expected_unit, risk_objective, risk_value, run_draws, scenario_rows
from optimizer.verify import violations
from optimizer.warm_lp import LPFailure, WarmLP

log = logging.getLogger(__name__)

MAX_DIVES = 12
"""LP solves of one dive at most (each fixes the influencers the last one booked fractionally); after
the last, a MILP places its fractional influencers with everyone else fixed."""

DENSE_CORE = 5000
"""No MILP with the scenario rows on a proven core larger than this (200 runs x 5,000 creators x 3 slots
is 3 million nonzeros): the plan is reported as time_limit with the LP bound and its gap."""

FLOAT32_SUM = 2.0 ** -24
"""Unit roundoff of the float32 run sums: the priced run values are raised by (runs + 2) of it,
so that they never fall below the exact sums (all terms are nonnegative)."""


def solve_fast_risk(problem: Problem, *, direct_below: int = DIRECT_BELOW, core_min: int = CORE_MIN) -> Outcome:
    """The optimal plan of the risk objective within the scenario's gap, with a proven bound on
    the sampled problem (steps of the module docstring)."""
    options = problem.scenario.solver
    clock = Clock(options.time_limit)
    if problem.n < max(direct_below, 1):
        model, _ = build_milp(problem)
        return clock.outcome(clock.solve(model, gap=options.gap), problem.n, np.arange(problem.n), None)
    pricing = Pricing(problem)
    mean = pricing.base
    search = Search(WarmLP(mean), candidate_rankings(problem, mean), problem.cost, clock)
    clock.warm = search.lp
    start = relax(mean, search)                       # step 1: the mean LP names the first candidates
    if start is None:
        return Outcome("infeasible", None, None, clock.elapsed - clock.solving, clock.solving)
    first_candidates = np.union1d(np.concatenate(core_orders(problem, start, mean.ub[: problem.n], core_min)),
                                  start.support)
    root, last = risk_relax(pricing, first_candidates, clock)     # step 2
    first, core = dive(pricing, last, root.candidates, clock), root.candidates     # step 3: a plan near the LP's optimum
    exact = first is None                             # else: the MILP on a heuristic core, its bound exact there
    if exact:
        first, core = heuristic_core(pricing, root, clock, core_min)
    log.debug("fast risk: %d influencers, risk LP bound %.8g, support %d, first plan on %d: %s %s",
              problem.n, root.bound, len(root.support), len(core), first.status, first.objective)
    if first.status in ("infeasible", "no_solution"):
        return clock.outcome(first, problem.n, core, None)

    def finish(solution: Solution, on: np.ndarray, bound: float, status: str) -> Outcome:
        return clock.outcome(replace(solution, bound=min(bound, root.bound)), problem.n, on, None, status)

    threshold = within_gap(first.objective, options.gap)
    if root.bound <= threshold:                       # the LP bound proves the plan
        return finish(first, core, root.bound, "optimal")
    proven = np.flatnonzero(root.potential > threshold)
    if exact and (first.status == "time_limit" or np.isin(proven, core).all()):
        return clock.outcome(first, problem.n, core, _outside(root.potential, core))
    log.debug("fast risk: proven core %d, of it outside the first core %d", len(proven),
              np.setdiff1d(proven, core).size)
    if clock.out_of_time or len(proven) > DENSE_CORE:
        return finish(first, core, root.bound, "time_limit")
    second = clock.solve(pricing.core_model(proven), gap=options.gap, cutoff=first.objective)
    if second.status == "cut_off":                    # nothing in the proven core beats the first plan beyond the gap
        return finish(first, core, threshold, "optimal")
    better = second.values is not None and second.objective > first.objective
    best, on = (second, proven) if better else (first, core)
    if second.status == "optimal":
        return finish(best, on, max(second.bound, threshold), "optimal")
    return finish(best, on, root.bound if second.bound is None else max(second.bound, threshold), "time_limit")


def dive(pricing: Pricing, lp: WarmLP, candidates: np.ndarray, clock: Clock) -> Solution | None:
    """A plan from the risk LP `lp` (solved: the core model on `candidates`) by diving: fix every
    influencer it books fractionally (posts, booking or post slots) at their nearest whole posts, solve
    the LP again from its basis, until it books whole posts (or MAX_DIVES: then the MILP places the last
    LP's fractional influencers, everyone else fixed; where they have no whole placement so, with those
    the dive left unfixed within a post of the last LP too: optimizer/rounding.py's neighbourhood). The
    Solution on the candidates, in the risk objective of the plan; None when a dive ends infeasible,
    those MILPs have no plan, or the plan fails the plan check."""
    problem, model = pricing.problem, lp.model
    k = len(candidates)
    layout = pricing.layout(candidates)
    owner, d = layout.slot_owner(), layout.d()
    lb, ub = model.lb.copy(), model.ub.copy()
    fixed = np.zeros(k, dtype=bool)
    seconds = lp.seconds
    try:
        for dives in range(MAX_DIVES):
            solution = lp.solve(np.arange(k), lb, ub)
            if solution.objective is None:
                return None
            values = solution.values
            posts = values[:k]
            split = np.abs(values[k: 2 * k] - np.round(values[k: 2 * k])) + np.abs(posts - np.round(posts))
            split += np.bincount(owner, weights=np.abs(values[d] - np.round(values[d])), minlength=k)
            fractional = np.flatnonzero((split > 1e-6) & ~fixed)
            log.debug("fast risk: dive LP %.8g, %d fractional, %.1f s in its LPs", solution.objective,
                      fractional.size, lp.seconds)
            if fractional.size == 0 or dives == MAX_DIVES - 1 or clock.out_of_time:
                break
            fixed[fractional] = True
            _fix(lb, ub, layout, fractional, np.round(posts[fractional]))
    finally:
        clock.milp_seconds += lp.seconds - seconds
    if fractional.size:             # the last LP's fractional influencers placed by the MILP, everyone else fixed
        free_lb, free_ub = lb.copy(), ub.copy()
        others = np.setdiff1d(np.arange(k), fractional)
        _fix(lb, ub, layout, others, np.round(posts[others]))
        solution = clock.solve(dataclasses.replace(model, lb=lb, ub=ub), gap=problem.scenario.solver.gap)
        if solution.status == "infeasible":     # reach at 100k: then a MILP on a heuristic core ran 58 s
            solution = clock.solve(neighbourhood(dataclasses.replace(model, lb=free_lb, ub=free_ub), values),
                                   gap=problem.scenario.solver.gap)
        if solution.values is None:
            return None
        values = solution.values
    plan = np.zeros(problem.catalog.rows, dtype=np.int64)
    plan[problem.positions[candidates]] = np.round(values[:k]).astype(np.int64)
    if violations(problem.catalog, problem.scenario, plan):
        return None
    return Solution("time_limit", np.round(values), risk_value(problem.catalog, problem.scenario, plan),
                    None, None, 0.0, 0.0)


def _fix(lb: np.ndarray, ub: np.ndarray, layout: Layout, influencers: np.ndarray, posts: np.ndarray) -> None:
    """Bounds that fix the influencers (positions in the core model) at whole posts: x, y and their post slots."""
    whole = np.clip(posts, lb[influencers], ub[influencers])
    lb[influencers] = ub[influencers] = whole
    lb[layout.n + influencers] = ub[layout.n + influencers] = whole > 0
    owner, number = layout.slot_owner(), layout.slot_number()
    at = np.full(layout.n, -1.0)
    at[influencers] = whole
    slots = at[owner] >= 0
    lb[layout.d()[slots]] = ub[layout.d()[slots]] = number[slots] <= at[owner[slots]]


def heuristic_core(pricing: Pricing, root: Relaxation, clock: Clock, core_min: int) -> tuple[Solution, np.ndarray]:
    """The risk MILP on the LP's support and the influencers that lose least against its bound, grown
    until it has a plan (none when the time limit has passed: Clock.solve starts nothing then)."""
    problem = pricing.problem
    size = core_min + len(root.support)
    while True:
        core = np.union1d(np.concatenate(core_orders(problem, root, pricing.base.ub[: problem.n], size)),
                          root.support)
        first = clock.solve(pricing.core_model(core), gap=problem.scenario.solver.gap)
        if first.status != "infeasible" or len(core) == problem.n:
            return first, core
        size *= CORE_GROWTH


class Pricing:
    """The scenario's rows without the risk objective (`base`, objective: the expected metric), the
    kept optimization runs, and what prices them: the core models and the Lagrangian bound."""

    def __init__(self, problem: Problem) -> None:
        scenario = problem.scenario
        self.problem, self.risk = problem, scenario.objective.risk
        self.engagements = scenario.objective.metric == "engagements"
        plain = dataclasses.replace(problem, scenario=scenario.model_copy(
            update={"objective": scenario.objective.model_copy(update={"risk": None})}))
        base, layout = build_milp(plain)
        obj = np.zeros(base.num_cols)
        obj[layout.x() if self.engagements else layout.y()] = expected_unit(problem.catalog, scenario,
                                                                           problem.positions)
        self.base, self.distinct = dataclasses.replace(base, obj=obj), layout.distinct
        self.draws = run_draws(problem.catalog, scenario)
        self.most = base.ub[: problem.n].astype(np.int64)        # m_i after the presolve: the slots of i
        self.cap = self.risk.weight / (self.risk.cvar * self.risk.runs)

    def core_model(self, keep: np.ndarray) -> Milp:
        """The risk model on the influencers `keep` (sorted positions): the scenario's rows restricted to them,
        then their post slots (engagements), eta, u_1..u_R and the scenario rows; the last R rows are the runs."""
        problem, n = self.problem, len(keep)
        restricted, _, _ = self.base.restrict(keep)
        sub, layout = subproblem(problem, keep), self.layout(keep)
        added = layout.num_cols - restricted.num_cols
        slots = layout.num_slots
        lb = np.concatenate([restricted.lb, np.zeros(added)])
        ub = np.concatenate([restricted.ub, np.ones(slots), np.full(added - slots, np.inf)])
        integer = np.concatenate([restricted.integer, np.ones(slots, dtype=bool), np.zeros(added - slots, dtype=bool)])
        obj = np.zeros(layout.num_cols)
        risk_objective(sub, layout, obj)
        own = RowBlock(restricted.rows, restricted.cols, restricted.vals, restricted.lo, restricted.hi,
                       restricted.lower, restricted.upper, restricted.owner, restricted.link)
        blocks = [own] + [block for block in (post_slots(sub, layout), scenario_rows(sub, layout)) if block is not None]
        return Milp.assemble(n, obj, lb, ub, integer, blocks)

    def layout(self, keep: np.ndarray) -> Layout:
        """The columns of the core model on `keep`: those of the restricted base, then the post slots
        (engagements), eta and u_1..u_R."""
        return Layout(len(keep), self.distinct, self.most[keep] if self.engagements else None,
                      risk_runs=self.risk.runs)

    def run_values(self, mu: np.ndarray) -> np.ndarray:
        """sum_r mu_r D_ri F_rij E_i per influencer (rows) and slot j (columns), -inf past m_i; for reach
        one column, sum_r mu_r D_ri A_i. Raised by the float32 roundoff of the sums."""
        problem, positions = self.problem, self.problem.positions
        weights = mu.astype(np.float32)
        raise_by = 1.0 + (len(mu) + 2) * FLOAT32_SUM
        if not self.engagements:
            return ((weights @ self.draws.delivered)[positions] * raise_by * problem.audience)[:, None]
        values = np.full((problem.n, int(self.most.max(initial=1))), -np.inf)
        for slot in range(1, values.shape[1] + 1):
            has = self.most >= slot
            earned = (weights @ self.draws.earned(slot))[positions[has]].astype(np.float64)
            values[has, slot - 1] = earned * raise_by * problem.engagements[has]
        return values

    def lagrangian(self, duals: np.ndarray, mu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """L(pi, mu), the block values v_i and the booked values w_i, for duals pi of the base rows and run
        duals mu (made feasible for eta and u_r first: `feasible_runs`); fast.lagrangian with slot values."""
        base, n = self.base, self.problem.n
        mu = feasible_runs(mu, self.risk.weight, self.cap)
        pi = np.where(base.link, 0.0, duals)
        pi = np.where((pi > 0) & ~np.isfinite(base.hi), 0.0, pi)
        pi = np.where((pi < 0) & ~np.isfinite(base.lo), 0.0, pi)
        side = np.where(pi > 0, base.hi, np.where(pi < 0, base.lo, 0.0))
        reduced = base.obj * (1 - self.risk.weight) - base.transpose_dot(pi)
        rx, ry = reduced[:n], reduced[n: 2 * n]
        runs = self.run_values(mu)
        fewest, most = np.maximum(base.lb[:n], 1.0).astype(np.int64), base.ub[:n].astype(np.int64)
        if self.engagements:
            posts = np.arange(1, runs.shape[1] + 1)
            gains = np.cumsum(runs, axis=1) + posts * rx[:, None]
            gains[(posts < fewest[:, None]) | (posts > most[:, None])] = -np.inf
            booked = gains.max(axis=1) + ry
        else:
            booked = np.where(most >= fewest, np.maximum(fewest * rx, most * rx) + ry + runs[:, 0], -np.inf)
        must = (base.lb[:n] >= 1) | (base.lb[n: 2 * n] >= 1)
        block = np.where(must, booked, np.maximum(booked, 0.0))
        extra, lb, ub = reduced[2 * n:], base.lb[2 * n:], base.ub[2 * n:]
        with np.errstate(invalid="ignore"):
            columns = np.where(extra > 0, extra * ub, np.where(extra < 0, extra * lb, 0.0))
        return float(pi @ side + block.sum() + columns.sum()), block, booked


def feasible_runs(mu: np.ndarray, weight: float, cap: float) -> np.ndarray:
    """Run duals in [0, cap] summing to `weight` (the reduced costs of eta and every u_r then vanish or are
    negative: the Lagrangian is finite), as close to `mu` as a clip and a proportional fill make them."""
    mu = np.clip(mu, 0.0, cap)
    total = mu.sum()
    if total > weight:
        return mu * (weight / total)
    room = cap - mu
    return mu + room * ((weight - total) / room.sum()) if total < weight else mu


def risk_relax(pricing: Pricing, start: np.ndarray, clock: Clock) -> tuple[Relaxation, WarmLP]:
    """Column generation for the risk LP from the candidates `start` (and every influencer that must be
    booked): the LP with the scenario rows on the candidates, priced over everyone (step 2), until none
    enters or the time limit has passed; with the last LP, solved (its model is the core model on the
    candidates)."""
    problem, base = pricing.problem, pricing.base
    n, runs = problem.n, pricing.risk.runs
    must = (base.lb[:n] >= 1) | (base.lb[n: 2 * n] >= 1)
    candidates = np.union1d(start, np.flatnonzero(must))
    rounds = 0
    while True:
        model = pricing.core_model(candidates)
        lp = WarmLP(model)
        solution = lp.solve(np.arange(len(candidates)), model.lb, model.ub)
        clock.milp_seconds += lp.seconds
        if solution.objective is None:
            raise LPFailure("the risk LP has no plan on candidates where the mean LP has one")
        _, _, kept_rows = base.restrict(candidates)
        duals = np.zeros(base.num_rows)
        duals[kept_rows] = solution.duals[: len(kept_rows)]
        mu = -solution.duals[-runs:]
        bound, block, booked = pricing.lagrangian(duals, mu)
        rounds += 1
        outside = _outside_of(candidates, n)
        scale = max(1.0, abs(solution.objective))
        entering = outside[block[outside] > 1e-9 * scale]
        converged = bound - solution.objective <= 1e-7 * scale
        log.debug("fast risk: LP round %d on %d influencers: %.8g, bound %.8g, %d entering", rounds,
                  len(candidates), solution.objective, bound, len(entering))
        if converged or len(entering) == 0 or rounds >= MAX_ROUNDS or clock.out_of_time:
            break
        best = entering[np.argsort(-block[entering], kind="stable")[: max(FIRST_CANDIDATES, len(candidates) // 2)]]
        candidates = np.union1d(candidates, best)
    k = len(candidates)
    posts, booked_share = solution.values[:k], solution.values[k: 2 * k]
    with np.errstate(invalid="ignore"):
        potential = bound - block + booked
    potential[must] = np.inf
    support = candidates[posts + booked_share > 1e-7]
    return Relaxation(bound, solution.objective, potential, candidates, support, []), lp


def subproblem(problem: Problem, keep: np.ndarray) -> Problem:
    """The Problem of the influencers `keep` (every per-influencer array of Problem, restricted)."""
    return dataclasses.replace(
        problem, positions=problem.positions[keep], cost=problem.cost[keep], engagements=problem.engagements[keep],
        audience=problem.audience[keep], max_posts=problem.max_posts[keep], included=problem.included[keep],
        categories={column: values[keep] for column, values in problem.categories.items()}, fee=problem.fee[keep])
