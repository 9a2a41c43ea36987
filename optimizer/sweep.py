"""Budget sweeps: the efficient frontier of a scenario, one optimal plan per budget.

`sweep(catalog, scenario, budgets)` solves the scenario with `budget.max` set to each budget
and returns a Frontier: what each budget buys, and what the next 1,000 of budget adds.
Budgets are solved in parallel worker processes (each worker receives the catalog once);
a budget at which no plan exists is a point with status "infeasible", not an error.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from models.catalog import Catalog
from models.catalog_rules import check_against_catalog
from models.errors import NoPlanError
from models.result import Result
from models.scenario import Scenario
from optimizer.api import METHODS, solve

PER = 1_000
"""The marginal value of a point is the objective gained per this much extra budget."""
NO_PLAN = "no_plan"
"""Status of a budget at which the time limit passed before any plan was found."""


@dataclass(frozen=True)
class FrontierPoint:
    """The optimal plan at one budget; figures are None where there is no plan."""

    budget: float
    status: str                      # optimal | time_limit | infeasible | no_plan
    objective: float | None
    spend: float | None
    engagements: float | None
    reach: float | None
    influencers: int | None
    cpe: float | None
    marginal: float | None           # objective gained per extra 1,000 of budget since the previous point
    tier_shares: dict[str, float] = field(default_factory=dict)  # tier -> share of spend

    @property
    def has_plan(self) -> bool:
        return self.objective is not None


@dataclass(frozen=True)
class Frontier:
    """Points in increasing budget order, for a scenario's objective."""

    scenario: str
    sense: str                       # maximize | minimize
    metric: str                      # engagements | reach | targeted_reach | cost
    tiers: tuple[str, ...]           # tier names booked at some budget, in the order of the scheme
    points: tuple[FrontierPoint, ...]
    currency: str = "USD"
    tier_scheme: tuple[str, ...] = ()  # every tier of the scenario's scheme, booked or not

    def to_frame(self) -> pd.DataFrame:
        """One row per budget; tier shares as columns share_<tier> (0 where a plan books none), one
        for every tier of the scheme, booked or not, so that the columns do not depend on the plans."""
        rows = []
        for point in self.points:
            row = {key: value for key, value in asdict(point).items() if key not in ("tier_shares", "marginal")}
            row[f"marginal_per_{PER}"] = point.marginal
            for tier in dict.fromkeys(self.tier_scheme + self.tiers):
                row[f"share_{tier}"] = point.tier_shares.get(tier, 0.0) if point.has_plan else None
            rows.append(row)
        frame = pd.DataFrame(rows)
        return frame.astype({"influencers": "Int64"}) if len(frame) else frame

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the scenario, its objective, and every point."""
        return {
            "scenario": self.scenario,
            "objective": {"sense": self.sense, "metric": self.metric},
            "marginal_per": PER,
            "tiers": list(self.tiers),
            "points": [asdict(point) for point in self.points],
        }


def sweep(catalog: Catalog, scenario: Scenario, budgets: Iterable[float], *, method: str = "fast",
          workers: int = 2, progress: Callable[[float, str], None] | None = None) -> Frontier:
    """Solve `scenario` at each budget (as budget.max) and return the frontier.

    The scenario is checked against the catalog once, before any solve (ScenarioError for a
    budget the scenario cannot take, e.g. below budget.min). With `workers` >= 2 and at least
    two budgets the solves run in that many processes, started with the "spawn" method (a forked
    child would inherit the solver's threads): a script that calls sweep() needs the usual
    `if __name__ == "__main__":` guard. `progress(budget, status)` is called as each budget
    finishes, in the order they finish.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    levels = sorted({float(budget) for budget in budgets})
    if not levels:
        raise ValueError("give at least one budget")
    scenarios = [scenario.override({"budget.max": budget}) for budget in levels]
    check_against_catalog(catalog, scenarios[0])  # every catalog-dependent check (and warning) once, not per budget
    outcomes: dict[float, Result | None] = {}
    for budget, result in _solve_all(catalog, scenarios, method, workers):
        outcomes[budget] = result
        if progress is not None:
            progress(budget, result.status if result is not None else NO_PLAN)
    tiers = _tier_order(scenario, (outcomes[budget] for budget in levels))
    return Frontier(scenario.name, scenario.objective.sense, scenario.objective.metric, tiers,
                    tuple(_points(levels, [outcomes[budget] for budget in levels])), scenario.currency,
                    tuple(scenario.tier_scheme))


def _solve_all(catalog: Catalog, scenarios: Sequence[Scenario], method: str, workers: int):
    """(budget, Result or None for no plan) for each scenario, in completion order."""
    if workers <= 1 or len(scenarios) < 2:
        _start_worker(catalog, method)
        try:
            for scenario in scenarios:
                yield _solve_one(scenario)
        finally:
            _WORKER.clear()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(scenarios)), mp_context=context,
                             initializer=_start_worker, initargs=(catalog, method)) as pool:
        futures = [pool.submit(_solve_one, scenario) for scenario in scenarios]
        for future in as_completed(futures):
            yield future.result()


_WORKER: dict[str, Any] = {}


def _start_worker(catalog: Catalog, method: str) -> None:
    _WORKER.update(catalog=catalog, method=method)


def _solve_one(scenario: Scenario) -> tuple[float, Result | None]:
    """One budget; None when no plan was found within the time limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # already reported once, by sweep()
        try:
            return scenario.budget.max, solve(_WORKER["catalog"], scenario, method=_WORKER["method"], diagnose=False)
        except NoPlanError:
            return scenario.budget.max, None


def _points(budgets: list[float], results: list[Result | None]) -> list[FrontierPoint]:
    points: list[FrontierPoint] = []
    for budget, result in zip(budgets, results):
        if result is None or result.status == "infeasible":
            points.append(FrontierPoint(budget, result.status if result else NO_PLAN,
                                        None, None, None, None, None, None, None))
            continue
        value, totals = result.objective.value, result.totals
        previous = points[-1] if points else None
        marginal = None
        if previous is not None and previous.has_plan and value is not None:
            marginal = (value - previous.objective) / (budget - previous.budget) * PER
        points.append(FrontierPoint(
            budget, result.status, value, totals.spend, totals.engagements, totals.reach, totals.influencers,
            totals.cpe, marginal, {row.value: row.share for row in result.groups["tier"]}))
    return points


def _tier_order(scenario: Scenario, results: Iterable[Result | None]) -> tuple[str, ...]:
    """Tiers booked at any budget: the scheme's order first, then tiers the catalog names itself."""
    booked = {row.value for result in results if result is not None for row in result.groups["tier"]}
    scheme = [tier for tier in scenario.tier_scheme if tier in booked]
    return tuple(scheme + sorted(booked - set(scheme)))
