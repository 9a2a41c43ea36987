"""What consecutive solves on one catalog carry from one to the next: a sweep's points, the
scenarios of a comparison, the re-solves of an explanation.

A `Reuse` lives in one process (a sweep's worker) and is handed to each solve in turn
(`optimizer.api.solve(..., reuse=...)`):

- the prepared Problem: its arrays are kept when the next scenario selects and prices the
  same influencers (`optimizer.problem.prepare`'s `like`);
- the candidate rankings of the fast path: kept for the same influencers and objective;
  they only say where column generation starts (every influencer is priced), so they
  never change a result;
- the LP relaxation (`optimizer.warm_lp.WarmLP`): for a model of the same shape (a budget,
  a share, a floor or a count moved: bounds, sides or coefficients), its candidates and
  its last basis carry over, and the next point's LP starts from the last one's (the fast path's
  tree branches from the point's own vertex, re-solved from scratch, and starts again from a fresh
  LP if it still leaves a proven core too large to solve: optimizer/fast.py); a model of another
  shape starts afresh;
- the last optimal plan: where the scenario differs from the last one in one key moved the
  way that only removes plans (a floor raised, a cap lowered: `tighter`) and the last plan
  passes the new scenario's independent check, it is optimal again under the last bound,
  and no solver runs (a sweep orders its values so that each step tightens).

Nothing here changes what a solve proves: each solve builds its own model and prices every
influencer against it, or carries a plan whose proof holds as argued above; every plan is
verified and bounded as if it ran alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.catalog import Catalog
from models.scenario import Scenario
from optimizer.milp import Milp
from optimizer.outcome import Outcome
from optimizer.problem import Problem, prepare
from optimizer.verify import violations
from optimizer.warm_lp import WarmLP

Rank = Callable[[Problem, Milp], list[np.ndarray]]


@dataclass
class Reuse:
    """The last solve's prepared problem, candidate rankings, warm LP and optimal plan (None before any)."""

    problem: Problem | None = None
    lp: WarmLP | None = None
    rankings: list[np.ndarray] | None = None
    ranked: tuple[np.ndarray, np.ndarray] | None = None   # positions and objective the rankings are for
    last: _Solved | None = None          # the last optimal solve

    def prepare(self, catalog: Catalog, scenario: Scenario) -> Problem:
        """The scenario's Problem, from the last one's arrays where they hold."""
        self.problem = prepare(catalog, scenario, like=self.problem)
        return self.problem

    def search(self, problem: Problem, model: Milp, rank: Rank) -> tuple[WarmLP, list[np.ndarray]]:
        """The warm LP and the candidate rankings (`rank(problem, model)`) for the fast path on
        `model`: the last ones where they apply, new ones otherwise."""
        positions, objective = problem.positions, model.obj[: 2 * problem.n]
        same_influencers = self.ranked is not None and np.array_equal(self.ranked[0], positions)
        if not (same_influencers and np.array_equal(self.ranked[1], objective)):
            self.rankings = rank(problem, model)
        if same_influencers and self.lp is not None and self.lp.fits(model):
            self.lp.retarget(model)
        else:
            self.lp = WarmLP(model)
        self.ranked = (positions, objective)
        return self.lp, self.rankings

    def without_lp(self) -> Reuse:
        """This Reuse with its warm LP dropped: the next search starts a fresh one."""
        self.lp = None
        return self

    def carried(self, catalog: Catalog, problem: Problem) -> tuple[Outcome, str] | None:
        """The last plan with its proven bound, where they answer this scenario too: the last
        solve was optimal, its scenario differs from this one in one key only, moved the way that
        only removes plans (`tighter`), and the plan passes this scenario's independent check.
        Every plan of this scenario is then one of the last, so the last bound holds and the
        plan stays optimal within the same gap. With the method that found it; None otherwise."""
        last = self.last
        if last is None or not _tightened(last.scenario, problem.scenario):
            return None
        posts = np.zeros(catalog.rows, dtype=np.int64)
        posts[last.positions] = last.outcome.posts
        kept = np.isin(np.flatnonzero(posts), problem.positions)
        if not kept.all() or violations(catalog, problem.scenario, posts):
            return None
        return replace(last.outcome, posts=posts[problem.positions], build_seconds=0.0, solve_seconds=0.0), last.method

    def remember(self, problem: Problem, outcome: Outcome, method: str) -> None:
        """The outcome of the solve just done on `problem`, for the next one (only an optimal plan)."""
        optimal = outcome.status == "optimal" and outcome.posts is not None and outcome.bound is not None
        self.last = _Solved(problem.scenario, problem.positions, outcome, method) if optimal else None


@dataclass(frozen=True)
class _Solved:
    scenario: Scenario
    positions: np.ndarray     # catalog rows of the outcome's posts
    outcome: Outcome
    method: str


CONSTRAINT_TABLES = ("budget", "targets", "coverage", "diversity", "limits", "filters", "replan")


def tighter(key: str) -> int:
    """+1 where a larger value of the scenario key only removes plans (a floor: `min_*`, `targets.*`,
    `diversity.min_distinct.<column>`), -1 where a smaller one does (a cap: `max_*`), 0 where neither
    is known (prices, weights, tiers, audience, solver). Only a constraint table's own bound counts:
    a group, segment or tier named `mini...` (`prices.niche.minecraft`) is no bound."""
    parts = key.split(".")
    if parts[0] not in CONSTRAINT_TABLES:
        return 0
    if parts[:2] == ["diversity", "min_distinct"]:
        return 1
    if parts[-1].startswith(("min", "max")):
        return 1 if parts[-1].startswith("min") else -1
    return 1 if parts[0] == "targets" else 0


def _tightened(old: Scenario, new: Scenario) -> bool:
    """Whether `new` is `old` with one key moved (or set where it was unset) in its tightening direction."""
    before, after = flatten(old.model_dump()), flatten(new.model_dump())
    if before.keys() != after.keys():
        return False
    changed = [key for key, value in before.items() if after[key] != value and not isinstance(value, dict)]
    if len(changed) != 1:
        return False
    key = changed[0]
    was, now, direction = before[key], after[key], tighter(key)
    if direction == 0 or now is None or not isinstance(now, (int, float)) or isinstance(now, bool):
        return False
    return was is None or (now - was) * direction > 0


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Every dotted key of nested dicts (tables too, with their contents) and its value."""
    if not isinstance(node, dict):
        return {prefix: node}
    flat: dict[str, Any] = {prefix: node} if prefix else {}
    for name, child in node.items():
        flat.update(flatten(child, f"{prefix}.{name}" if prefix else str(name)))
    return flat
