"""Sweeps: the efficient frontier of a scenario, one optimal plan per value of a key.

`sweep(catalog, scenario, budgets)` solves the scenario with `budget.max` set to each budget;
`sweep(catalog, scenario, key="limits.platform.tiktok.max_share", values=[...])` sweeps any
numeric scenario key. It returns a Frontier: what each value buys, and the marginal value of
the key (per extra 1,000 of budget, or per unit of another key). The solves run through an
executor (`optimizer.executors`: local processes by default, or any Executor such as a Dask
client's); a value at which no plan exists is a point with status "infeasible", not an error.
The values go to the workers in the order in which each step tightens the scenario (a cap from
high to low, anything else from low to high), and each worker carries to its next value what
its last solve built (optimizer/reuse.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from models.catalog import Catalog
from models.catalog_rules import check_against_catalog
from models.errors import ScenarioError
from models.result import Result
from models.scenario import Scenario, canonical_key, number_type
from optimizer.api import METHODS
from optimizer.executors import solve_all
from optimizer.reuse import flatten, tighter

BUDGET = "budget.max"
MONEY_KEYS = (BUDGET, "budget.min", "targets.max_cpe")
"""Keys whose values are in the scenario's currency (a spend, or a spend per engagement)."""
PER = 1_000
"""The marginal value of a budget point is the objective gained per this much extra budget
(per one unit of any other key)."""
SIMULATION_RUNS = "simulation.runs"
"""Set to 0 at each point: a frontier reports no outcome ranges, so its plans are not simulated
(except for a risk objective, whose plans are measured out of sample)."""
NO_PLAN = "no_plan"
"""Status of a budget at which the time limit passed before any plan was found."""


@dataclass(frozen=True)
class FrontierPoint:
    """The optimal plan at one value of the key; figures are None where there is no plan."""

    budget: float | None             # budget.max at this point (the value itself in a budget sweep)
    status: str                      # optimal | time_limit | infeasible | no_plan
    objective: float | None
    spend: float | None
    engagements: float | None
    reach: float | None
    influencers: int | None
    cpe: float | None
    marginal: float | None           # objective gained per extra `marginal_per` of the key since the previous point
    tier_shares: dict[str, float] = field(default_factory=dict)  # tier -> share of spend
    unique_reach: float | None = None  # [audience]: U (left out of the frame and JSON when no point has it)
    value: float | None = None       # the key's value at this point

    @property
    def has_plan(self) -> bool:
        return self.objective is not None


@dataclass(frozen=True)
class Frontier:
    """Points in increasing order of the key's value, for a scenario's objective."""

    scenario: str
    sense: str                       # maximize | minimize
    metric: str                      # engagements | reach | targeted_reach | cost
    tiers: tuple[str, ...]           # tier names booked at some budget, in the order of the scheme
    points: tuple[FrontierPoint, ...]
    currency: str = "USD"
    tier_scheme: tuple[str, ...] = ()  # every tier of the scenario's scheme, booked or not
    key: str = BUDGET                # the scenario key swept

    @property
    def marginal_per(self) -> float:
        return PER if self.key == BUDGET else 1

    @property
    def in_money(self) -> bool:
        """Whether the swept key's values are in the currency (a budget), not a share or a count."""
        return self.key in MONEY_KEYS

    @property
    def unique(self) -> bool:
        """Whether the points carry unique reach ([audience])."""
        return any(point.unique_reach is not None for point in self.points)

    def _point(self, point: FrontierPoint) -> dict[str, Any]:
        data = asdict(point)
        if not self.unique:
            data.pop("unique_reach")
        return data

    def to_frame(self) -> pd.DataFrame:
        """One row per point; tier shares as columns share_<tier> (0 where a plan books none), one
        for every tier of the scheme, booked or not, so that the columns do not depend on the plans.
        A sweep of another key than the budget starts with a column named by the key."""
        rows = []
        for point in self.points:
            row = {} if self.key == BUDGET else {self.key: point.value}
            row.update({key: value for key, value in self._point(point).items()
                        if key not in ("tier_shares", "marginal", "value")})
            row[f"marginal_per_{self.marginal_per:g}"] = point.marginal
            for tier in dict.fromkeys(self.tier_scheme + self.tiers):
                row[f"share_{tier}"] = point.tier_shares.get(tier, 0.0) if point.has_plan else None
            rows.append(row)
        frame = pd.DataFrame(rows)
        return frame.astype({"influencers": "Int64"}) if len(frame) else frame

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the scenario, its objective, and every point."""
        return {
            "scenario": self.scenario,
            "key": self.key,
            "objective": {"sense": self.sense, "metric": self.metric},
            "marginal_per": self.marginal_per,
            "tiers": list(self.tiers),
            "points": [self._point(point) for point in self.points],
        }


def sweep(catalog: Catalog, scenario: Scenario, budgets: Iterable[float] | None = None, *, key: str = BUDGET,
          values: Iterable[float] | None = None, method: str = "fast", workers: int = 2,
          executor: Executor | None = None, progress: Callable[[float, str], None] | None = None,
          reuse: bool = True) -> Frontier:
    """Solve `scenario` at each value of `key` (budget.max: `budgets`) and return the frontier.

    The key must be a numeric key of the scenario (ScenarioError naming it otherwise, with the
    closest numeric key); each value is checked as the scenario would check it, and the
    scenario against the catalog once, before any solve. The solves run on `executor` (any
    concurrent.futures.Executor, e.g. `dask.distributed.Client(...).get_executor()`), or
    in `workers` local processes (see optimizer.executors: a script needs no main guard).
    `progress(value, status)` is called as each value finishes, in the order they finish.
    `reuse=False` solves each value from scratch (optimizer/reuse.py; to measure what it saves).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if budgets is not None and values is not None:
        raise ValueError("give budgets or values, not both")
    levels = sorted({float(value) for value in (budgets if budgets is not None else values or ())})
    if not levels:
        raise ValueError("give at least one value")
    key = canonical_key(key)
    check_numeric_key(scenario, key)
    quiet = {} if scenario.objective.risk is not None or key.startswith("simulation.") else {SIMULATION_RUNS: 0}
    typed = [_typed(key, value) for value in levels]
    scenarios = [scenario.override({key: value, **quiet}) for value in typed]
    check_against_catalog(catalog, scenarios[0])  # every catalog-dependent check (and warning) once, not per value
    order = list(range(len(levels)))[::-1 if tighter(key) < 0 else 1]   # each step tightens: see optimizer/reuse.py
    outcomes: dict[int, Result | None] = {}
    for job, result in solve_all([catalog], [(0, scenarios[position]) for position in order], method=method,
                                 diagnose=False, executor=executor, workers=workers, reuse=reuse):
        outcomes[order[job]] = result
        if progress is not None:
            progress(levels[order[job]], result.status if result is not None else NO_PLAN)
    results = [outcomes[position] for position in range(len(levels))]
    points = _points(typed, [each.budget.max for each in scenarios], results, PER if key == BUDGET else 1)
    return Frontier(scenario.name, scenario.objective.sense, scenario.objective.metric,
                    _tier_order(scenario, results), tuple(points), scenario.currency, tuple(scenario.tier_scheme), key)


def numeric_keys(scenario: Scenario) -> dict[str, Any]:
    """Every dotted key of the scenario whose value is a number, or unset where the format holds a
    number there, with its value."""
    found: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for name, child in node.items():
                walk(f"{prefix}.{name}" if prefix else str(name), child)
        elif (node is None and number_type(prefix) is not None) or (
                isinstance(node, (int, float)) and not isinstance(node, bool)):
            found[prefix] = node
    walk("", scenario.model_dump())
    return found


def check_numeric_key(scenario: Scenario, key: str) -> None:
    """ScenarioError unless `key` names a numeric key of the scenario, set or not (a limit,
    coverage floor, weight or price of any name: each value is then validated as the file's)."""
    numeric = numeric_keys(scenario)
    flat = flatten(scenario.model_dump())
    if key in numeric or (key not in flat and number_type(key) is not None):
        return
    close = difflib.get_close_matches(key, list(numeric), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if key in flat and flat[key] is not None:
        raise ScenarioError(scenario.path, f"key {key}: not a number ({type(flat[key]).__name__}); "
                                           f"sweep a numeric key{hint}")
    raise ScenarioError(scenario.path, f"key {key}: not a numeric key of the scenario{hint}")


def _typed(key: str, value: float) -> float | int:
    """An integer where the key holds counts (whole numbers in the scenario format)."""
    return int(value) if number_type(key) is int and float(value).is_integer() else value


def _points(levels: list[float | int], budgets: list[float | None], results: list[Result | None],
            per: float) -> list[FrontierPoint]:
    points: list[FrontierPoint] = []
    for level, budget, result in zip(levels, budgets, results):
        if result is None or result.status == "infeasible":
            points.append(FrontierPoint(budget, result.status if result else NO_PLAN,
                                        None, None, None, None, None, None, None, value=level))
            continue
        value, totals = result.objective.value, result.totals
        previous = points[-1] if points else None
        marginal = None
        if previous is not None and previous.has_plan and value is not None:
            marginal = (value - previous.objective) / (level - previous.value) * per
        points.append(FrontierPoint(
            budget, result.status, value, totals.spend, totals.engagements, totals.reach, totals.influencers,
            totals.cpe, marginal, {row.value: row.share for row in result.groups["tier"]},
            unique_reach=totals.unique_reach, value=level))
    return points


def _tier_order(scenario: Scenario, results: Iterable[Result | None]) -> tuple[str, ...]:
    """Tiers booked at any budget: the scheme's order first, then tiers the catalog names itself."""
    booked = {row.value for result in results if result is not None for row in result.groups["tier"]}
    scheme = [tier for tier in scenario.tier_scheme if tier in booked]
    return tuple(scheme + sorted(booked - set(scheme)))
