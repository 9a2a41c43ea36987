"""Explain a plan: what loosening each binding constraint buys, and the break-even price of creators.

`explain(catalog, scenario, prices=N)` solves the scenario, then re-solves (in parallel, through
an executor as sweeps do) two kinds of what-ifs, every figure from a real re-solve:

- each binding constraint of the plan with its scenario key moved one step looser
  (`loosened_value`: budget and other ceilings +10%, floors -10%, spend shares 0.05 up or down
  within [0, 1], counts 1; a budget.max of 0 steps to the cheapest eligible booking), sorted by
  what the step buys;
- break-even prices per post (`cost_per_post`) for the N booked creators with the largest spend
  (the price at which each leaves the plan) and the N unbooked eligible ones with the most
  engagements per dollar (the price at which each enters), bracketed by re-solves of the scenario
  with only that creator's price changed until the bracket is within 2% (`PRECISION`).

A bracket is honest about the plan influmix returns: at `break_even_low` the re-solved plan books
the creator, at `break_even_high` it does not (each end is such a re-solve, not an estimate). The
re-solves use the scenario's own gap: where two plans are within that gap of each other the solver's
plan decides, as it does for `influmix solve`; `--gap 0` makes every re-solve the exact optimum.

`time_limit` bounds the whole explanation: each re-solve gets the time left, and what has not
finished by then (or stopped at its limit without proving its plan) is reported as not computed,
never guessed.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.catalog import Catalog
from models.catalog_rules import booking_prices, eligible_rows
from models.errors import NoPlanError
from models.result import ConstraintRow, Result
from models.scenario import Scenario
from optimizer.api import METHODS, solve
from optimizer.control import check_stop
from optimizer.executors import _CATALOGS, _executor, _outcome, _solve
from optimizer.sweep import _typed, numeric_keys

PRECISION = 1.02
"""A break-even bracket is done when high <= PRECISION * low (or within a cent of 0)."""
SHARE_STEP = 0.05
LEVEL_STEP = 0.10
MAX_FACTOR = 1000
"""A booked creator still booked at this many times its price has no break-even price (it is needed)."""
PROBE_GAP = 0.01
"""The gap of the probes that choose where to re-solve (never reported): about five times faster."""
CENT = 0.01
CEILING_MARGIN = 1e-6
"""A price this much (and a cent) above what one post may cost is certainly not booked."""
COMPUTED, NOT_COMPUTED, NOT_LOOSENED, NO_BREAK_EVEN = "computed", "not_computed", "not_loosened", "no_break_even"


@dataclass(frozen=True)
class Loosened:
    """One binding constraint and the optimum with its key one step looser."""

    name: str                        # the constraint's name in Result.constraints
    key: str                         # the scenario key moved
    bound: float                     # the key's value in the scenario (an int for counts)
    relaxed_bound: float | None      # its value one step looser (None: it cannot loosen)
    relaxed_objective: float | None  # the re-solved optimum (None: not computed)
    change: float | None             # relaxed_objective - objective
    status: str                      # computed | not_computed | not_loosened
    note: str = ""


@dataclass(frozen=True)
class BreakEven:
    """A creator's break-even price per post, bracketed by re-solves."""

    id: str
    name: str
    booked: bool                     # in the explained plan
    price: float                     # its cost_per_post in the catalog
    break_even_low: float | None     # booked in the re-solved plan at this price
    break_even_high: float | None    # not booked at this price
    status: str                      # computed | not_computed | no_break_even
    note: str = ""
    solves: int = 0                  # full re-solves spent on the bracket
    probes: int = 0                  # coarse-gap probes that chose where to re-solve


@dataclass(frozen=True)
class Explanation:
    """What a plan's binding constraints and creators' prices are worth (docs/reference.md "Explain")."""

    scenario: str
    currency: str
    sense: str                       # maximize | minimize
    metric: str
    status: str                      # of the explained plan: optimal | time_limit | infeasible
    objective: float | None
    constraints: tuple[Loosened, ...]
    prices: tuple[BreakEven, ...]
    seconds: float
    result: Result = field(repr=False)   # the explained plan (its diagnosis when infeasible)

    def to_dict(self) -> dict[str, Any]:
        """SPEC section 11's JSON, with status, notes and timings beside it."""
        return {
            "schema_version": 1,
            "scenario": self.scenario,
            "status": self.status,
            "sense": self.sense,
            "metric": self.metric,
            "currency": self.currency,
            "objective": _finite(self.objective),
            "constraints": [_finite_dict(dataclasses.asdict(item)) for item in self.constraints],
            "prices": [_finite_dict(dataclasses.asdict(item)) for item in self.prices],
            "diagnosis": [dataclasses.asdict(item) for item in self.result.diagnosis],
            "seconds": round(self.seconds, 3),
        }


def explain(catalog: Catalog, scenario: Scenario, *, prices: int = 5, method: str = "fast",
            time_limit: float | None = None, executor: Executor | None = None, workers: int = 2,
            progress: Callable[[str], None] | None = None) -> Explanation:
    """Explain the optimal plan of `scenario` (see the module docstring).

    `prices`: how many booked and how many unbooked creators get a break-even price (0: none).
    `time_limit`: seconds for the whole explanation (None: each solve keeps the scenario's own limit).
    The re-solves run on `executor` (any concurrent.futures.Executor) or in `workers` local processes.
    `progress(text)` is called as each break-even search finishes. Raises NoPlanError when the plan
    itself is not found in time; an infeasible scenario gives an Explanation with status infeasible.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if prices < 0:
        raise ValueError("prices must be >= 0")
    started = time.perf_counter()
    until = None if time_limit is None else time.time() + time_limit
    # no outcome ranges are reported, so the plans are not simulated; except a risk plan's, which
    # would warn that its CVaR is not measured out of sample (as a sweep does: optimizer/sweep.py)
    quiet = (scenario.override({"simulation.runs": 0}) if scenario.simulation.runs and scenario.objective.risk is None
             else scenario)
    try:
        base = solve(catalog, _limited(quiet, until), method=method)
    except NoPlanError as error:
        check_stop()                    # stopped (Ctrl-C): the command ends, it is no missing plan
        if time_limit is None:
            raise
        raise NoPlanError(scenario.path, f"no plan found within the explanation's time limit of {time_limit:g} s "
                                         "(the plan itself comes first)") from error
    check_stop()                        # a plan cut short by a stop request is not explained
    if base.status == "infeasible":
        return _explanation(scenario, base, (), (), started)
    value = base.objective.value
    loosenings = [_loosening(catalog, scenario, row) for row in base.constraints if row.binding]
    searches = _searches(catalog, scenario, base, prices)
    probe = quiet.override({"solver.gap": PROBE_GAP}) if quiet.solver.gap < PROBE_GAP else None
    with _Runner(catalog, method, executor, workers, until) as runner:
        pricing = _Pricing(searches, quiet, probe, runner, progress)
        jobs = [(quiet.override({item.key: item.relaxed_bound}), None, index)
                for index, item in enumerate(loosenings) if item.status == COMPUTED]
        answers: dict[int, Result | None] = {}

        def react(tag: Any, result: Result | None) -> list[Job]:
            if isinstance(tag, int):
                answers[tag] = result
                return []
            return pricing.learn(tag, result)

        runner.run(jobs + pricing.start(), react)
    loosenings = [_resolved(item, answers.get(index), value) for index, item in enumerate(loosenings)]
    ranked = sorted(loosenings, key=lambda item: _rank(item, scenario.objective.sense))
    return _explanation(scenario, base, tuple(ranked), tuple(search.answer() for search in searches), started)


def _explanation(scenario: Scenario, base: Result, loosenings: tuple[Loosened, ...], prices: tuple[BreakEven, ...],
                 started: float) -> Explanation:
    return Explanation(scenario.name, scenario.currency, scenario.objective.sense, scenario.objective.metric,
                       base.status, base.objective.value, loosenings, prices, time.perf_counter() - started, base)


# --- constraints ---------------------------------------------------------------------------------

def constraint_key(name: str) -> str:
    """The scenario key behind a constraint's name (coverage.<k> is set by coverage.<k>.min_reach)."""
    return f"{name}.min_reach" if name.startswith("coverage.") else name


def loosened_value(key: str, sense: str, value: float) -> float:
    """The key's value one step looser: shares 0.05 within [0, 1], counts 1 (at least 0), ceilings
    +10%, floors -10%. `sense` is the constraint's: >= (a floor) or <= (a ceiling)."""
    last = key.rsplit(".", 1)[-1]
    down = sense == ">="
    if last.endswith("share") or last == "max_share_per_influencer":
        return _tidy(min(1.0, max(0.0, value + (-SHARE_STEP if down else SHARE_STEP))))
    if last.endswith(("_count", "_influencers", "max_changes")) or key.startswith("diversity.min_distinct."):
        return max(0, value - 1) if down else value + 1
    return _tidy(value * (1 - LEVEL_STEP if down else 1 + LEVEL_STEP))


def _tidy(value: float) -> float:
    """12 significant digits: 55,000 rather than 55,000.000000000004 for 50,000 + 10%."""
    return float(f"{value:.12g}")


def _loosening(catalog: Catalog, scenario: Scenario, row: ConstraintRow) -> Loosened:
    """The binding constraint with its key one step looser (not re-solved yet); a budget.max of 0,
    which +10% leaves at 0, steps to the cheapest eligible booking."""
    key = constraint_key(row.name)
    bound = numeric_keys(scenario).get(key)
    if bound is None:                   # replan.keep and the like: a list, no number to move
        return Loosened(row.name, key, row.rhs, None, None, None, NOT_LOOSENED, "no numeric scenario key to loosen")
    if key == "budget.max" and bound == 0:
        cheapest = _cheapest_booking(catalog, scenario)
        if cheapest is None:
            return Loosened(row.name, key, bound, None, None, None, NOT_LOOSENED,
                            "0, and no eligible creator costs anything: a higher budget buys nothing more")
        return Loosened(row.name, key, bound, _tidy(cheapest), None, None, COMPUTED,
                        "+10% of 0 is 0: stepped to the cheapest eligible booking (one post and its fee)")
    relaxed = _typed(key, loosened_value(key, row.sense, bound))
    if relaxed == bound:
        return Loosened(row.name, key, bound, None, None, None, NOT_LOOSENED,
                        f"already at its loosest value ({bound:g}): one step looser is the same bound")
    return Loosened(row.name, key, bound, relaxed, None, None, COMPUTED)


def _cheapest_booking(catalog: Catalog, scenario: Scenario) -> float | None:
    """The least spend that books an eligible creator (one post and its fee), above 0; None if none costs anything."""
    cost, fee = booking_prices(catalog, scenario)
    spend = (cost + fee)[eligible_rows(catalog, scenario)]
    spend = spend[spend > 0]
    return float(spend.min()) if spend.size else None


def _resolved(item: Loosened, result: Result | None, value: float) -> Loosened:
    """The loosening with its re-solve's optimum; a re-solve without a proven optimum is not computed."""
    if item.status != COMPUTED:
        return item
    if result is None or result.status != "optimal":
        reason = ("the time limit passed before its re-solve" if result is None
                  else f"the re-solve stopped at the time limit ({result.status}) before proving its plan")
        return dataclasses.replace(item, status=NOT_COMPUTED, note=reason)
    relaxed = result.objective.value
    return dataclasses.replace(item, relaxed_objective=relaxed, change=relaxed - value)


def _rank(item: Loosened, sense: str) -> tuple[int, float]:
    """Largest improvement first (for a minimize objective a decrease); not computed and not loosened last."""
    if item.change is None:
        return (1, 0.0)
    return (0, -item.change if sense == "maximize" else item.change)


# --- break-even prices -------------------------------------------------------------------------

@dataclass
class _Search:
    """The bracket of one creator's break-even price, from re-solves at prices chosen round by round.

    `seen` maps each price re-solved (and the creator's own, from the explained plan) to whether the
    plan books the creator. A bracket is a pair of neighbouring prices booked at the lower, not at the
    higher one: for a booked creator the first such pair above its price, for an unbooked one the last
    below it. Without one yet, the search looks further up (booked) or down (unbooked, and at price 0).

    The search first probes with a coarse gap (`hints`: cheap, never reported), then re-solves the
    ends it found at the scenario's own gap; only those full re-solves (`seen`) make the answer, and
    where they disagree with the probes the search goes on with full re-solves alone, out from the
    price where they disagreed (`anchor`) in steps that double (2%, 4%, 8%, ...): the break-even is
    usually next to it, since probes and full re-solves part only where two plans nearly tie.
    """

    id: str
    name: str
    booked: bool
    price: float
    seen: dict[float, bool]
    probing: bool = True
    hints: dict[float, bool] = field(default_factory=dict)
    solves: int = 0
    probes: int = 0
    failed: str = ""
    anchor: float | None = None      # the last full re-solve out from a disagreement with the probes
    steps: int = 0                   # how many steps out from it so far

    def bracket(self, view: dict[float, bool] | None = None) -> tuple[float, float] | None:
        view = self.seen if view is None else view
        prices = sorted(view)
        pairs = [(low, high) for low, high in zip(prices, prices[1:]) if view[low] and not view[high]]
        if not pairs:
            return None
        return pairs[0] if self.booked else pairs[-1]

    def exhausted(self, view: dict[float, bool] | None = None) -> bool:
        """No bracket can come: not booked even at price 0, or booked up to MAX_FACTOR times its price."""
        view = self.seen if view is None else view
        if self.bracket(view) is not None:
            return False
        if not self.booked:
            return view.get(0.0) is False
        return max(view) >= MAX_FACTOR * max(self.price, CENT)

    def finished(self, view: dict[float, bool] | None = None) -> bool:
        view = self.seen if view is None else view
        if self.exhausted(view):
            return True
        bracket = self.bracket(view)
        return bracket is not None and (bracket[1] <= PRECISION * bracket[0] * (1 + 1e-12)   # halving a 4% step
                                        or bracket[1] - bracket[0] <= CENT)                   # gives 2%, rounded

    @property
    def done(self) -> bool:
        return bool(self.failed) or self.finished()

    def next_prices(self) -> list[tuple[float, bool]]:
        """The prices to re-solve in the next round, each with whether it is a probe (none when done)."""
        if self.done:
            return []
        if self.probing:
            view = {**self.hints, **self.seen}
            if not self.finished(view):
                return [(price, True) for price in self._probe(view)]
            self.probing = False
            ends = self.bracket(view) or ((0.0,) if not self.booked else (max(view),))
            if fresh := [price for price in ends if price not in self.seen]:
                return [(price, False) for price in fresh]
        return [(price, False) for price in self._out_from_anchor() or self._probe(self.seen)]

    def _out_from_anchor(self) -> list[float]:
        """The next full re-solve out from the anchor (up where it books the creator, down where it
        does not), unless that leaves the bracket of the full re-solves."""
        if self.anchor is None:
            return []
        factor = PRECISION ** (2 ** self.steps)
        price = self.anchor * factor if self.seen[self.anchor] else self.anchor / factor
        if price < CENT:                # down to nothing: free is the last price to try
            price = 0.0
        bracket = self.bracket()
        if bracket is not None and not bracket[0] < price < bracket[1]:
            return []
        return [price]

    def _probe(self, view: dict[float, bool]) -> list[float]:
        """The next price to look at: the middle of the bracket, or further out."""
        bracket = self.bracket(view)
        if bracket is not None:
            low, high = bracket
            return [math.sqrt(low * high) if low > 0 else high / 4]
        if self.booked:
            top = max(view)
            return [max(top * (1.5 if top <= self.price else 2.0), CENT)]
        lowest = min((price for price in view if price > 0), default=self.price)
        if lowest >= self.price:        # price 0 only once a lower price did not book the creator either
            return [lowest / 1.5]
        return [lowest / 2.0] + ([0.0] if 0.0 not in view else [])

    def learn(self, outcomes: list[tuple[float, bool, Result | None]]) -> None:
        """Record this round's re-solves (price, probe or not, result)."""
        for price, probe, result in outcomes:
            if probe:
                self.probes += 1
            else:
                self.solves += 1
            if result is None or result.status == "time_limit":
                self.failed = "a re-solve did not prove its plan before the time limit"
                return
            books = _books(result, self.id)
            (self.hints if probe else self.seen)[price] = books
            if not probe:
                self._move_anchor(price, books)

    def _move_anchor(self, price: float, books: bool) -> None:
        """A full re-solve that disagrees with the probe at its price anchors the steps out; one that
        agrees with the anchor moves it a step further; one that does not has found the bracket."""
        if self.hints.get(price, books) != books:
            self.anchor, self.steps = price, 0
        elif self.anchor is None:
            return
        elif self.seen[self.anchor] != books:
            self.anchor = None
        elif price > self.anchor if books else price < self.anchor:
            self.anchor, self.steps = price, self.steps + 1

    def answer(self) -> BreakEven:
        def entry(low: float | None, high: float | None, status: str, note: str = "") -> BreakEven:
            return BreakEven(self.id, self.name, self.booked, self.price, low, high, status, note, self.solves,
                             self.probes)
        if self.failed:
            return entry(None, None, NOT_COMPUTED, self.failed)
        if not self.done:
            return entry(None, None, NOT_COMPUTED, "the time limit passed before the bracket was within 2%")
        if self.exhausted():
            if self.booked:
                return entry(None, None, NO_BREAK_EVEN, f"booked at every price tried, up to {max(self.seen):,.2f}")
            return entry(None, None, NO_BREAK_EVEN, "not booked even at price 0")
        low, high = self.bracket()
        return entry(low, high, COMPUTED)


class _Pricing:
    """The break-even searches on a runner: each asks for its next prices as soon as the re-solves
    it asked for last are in, so that no search waits for another's."""

    def __init__(self, searches: list[_Search], scenario: Scenario, probe: Scenario | None, runner: _Runner,
                 progress: Callable[[str], None] | None):
        self.searches, self.scenario, self.probe, self.runner, self.progress = searches, scenario, probe, runner, progress
        self.arrived: list[list[tuple[float, bool, Result | None]]] = [[] for _ in searches]
        self.waiting = [0] * len(searches)

    def start(self) -> list[Job]:
        """Every search's first re-solves."""
        return [job for index in range(len(self.searches)) for job in self._ask(index)]

    def learn(self, tag: tuple[int, float, bool], result: Result | None) -> list[Job]:
        """Record one re-solve of a search; its next re-solves once all it asked for are in."""
        index, price, probe = tag
        if result is None and self.runner.out_of_time:     # not run in time: the search stays unfinished
            return []
        self.arrived[index].append((price, probe, result))
        self.waiting[index] -= 1
        if self.waiting[index]:
            return []
        search = self.searches[index]
        search.learn(self.arrived[index])
        if search.done and self.progress is not None:
            self.progress(f"{sum(each.done for each in self.searches)} of {len(self.searches)} prices done")
        return self._ask(index)

    def _ask(self, index: int) -> list[Job]:
        if self.runner.out_of_time:
            return []
        search = self.searches[index]
        asked = [(price, bool(cheap and self.probe)) for price, cheap in search.next_prices()]
        self.arrived[index], self.waiting[index] = [], len(asked)
        return [(self.probe if probe else self.scenario, (search.id, price), (index, price, probe))
                for price, probe in asked]


def _books(result: Result, ident: str) -> bool:
    """Whether the plan books `ident` (an infeasible scenario books nobody)."""
    return result.status != "infeasible" and any(row["id"] == ident for row in result.allocation_records)


def _searches(catalog: Catalog, scenario: Scenario, base: Result, count: int) -> list[_Search]:
    """The booked creators with the largest spend and the unbooked eligible ones with the most
    engagements per dollar, `count` of each; included ids are left out (booked at any price)."""
    if count == 0:
        return []
    frame = catalog.frame
    ids = frame["id"].to_numpy(object)
    included = set(scenario.selection.include)
    booked = sorted((row for row in base.allocation_records if row["id"] not in included),
                    key=lambda row: (-row["spend"], row["id"]))[:count]
    row_of = {ident: row for row, ident in enumerate(ids)}
    chosen = [(row_of[record["id"]], True) for record in booked]
    taken = {record["id"] for record in base.allocation_records}
    eligible = np.flatnonzero(eligible_rows(catalog, scenario) & ~np.isin(ids, list(taken)))
    cost = frame["cost_per_post"].to_numpy(float)[eligible]
    per_dollar = np.divide(catalog.engagements_per_post[eligible], cost, out=np.full(len(eligible), np.inf),
                           where=cost > 0)
    chosen += [(row, False) for row in eligible[np.lexsort((ids[eligible], -per_dollar))][:count]]
    ceilings = _ceilings(catalog, scenario)
    searches = []
    for row, is_booked in chosen:
        price = float(frame["cost_per_post"].iat[row])
        search = _Search(str(ids[row]), str(frame["name"].iat[row]), is_booked, price, {price: is_booked})
        if math.isfinite(ceilings[row]) and (ceilings[row] > price or (not is_booked and ceilings[row] > 0)):
            search.hints[float(ceilings[row])] = False      # certain: one post there is more than allowed
        searches.append(search)
    return searches


def _ceilings(catalog: Catalog, scenario: Scenario) -> np.ndarray:
    """Per catalog row, a cost_per_post at which not one post fits the budget (budget.max times
    max_share_per_influencer, after fee and [prices] multipliers); infinite without budget.max."""
    budget = scenario.budget.max
    if budget is None:
        return np.full(catalog.rows, np.inf)
    cost, fee = booking_prices(catalog, scenario)
    listed = catalog.frame["cost_per_post"].to_numpy(float)
    multiplier = np.divide(cost, listed, out=np.ones(catalog.rows), where=listed > 0)
    room = (scenario.diversity.max_share_per_influencer or 1.0) * budget - fee
    return np.maximum(room, 0.0) / multiplier * (1 + CEILING_MARGIN) + CENT


def priced(catalog: Catalog, ident: str, price: float) -> Catalog:
    """The catalog with one creator's cost_per_post set to `price` (what a break-even re-solve solves)."""
    frame = catalog.frame.copy()
    frame.loc[frame["id"] == ident, "cost_per_post"] = float(price)
    return dataclasses.replace(catalog, frame=frame)


# --- running the re-solves -----------------------------------------------------------------------

Change = tuple[str, float] | None
"""A creator's id and the price per post to re-solve at, or None: the catalog as it is."""
Job = tuple[Scenario, Change, Any]
"""A re-solve: the scenario, the price change, and a tag saying whose answer it is."""


def _limited(scenario: Scenario, until: float | None) -> Scenario:
    """The scenario with its time limit cut to what is left before `until` (time.time())."""
    if until is None:
        return scenario
    left = max(until - time.time(), 0.01)
    limit = scenario.solver.time_limit
    return scenario.override({"solver.time_limit": left if limit is None else min(limit, left)})


class _Runner:
    """Re-solves on one executor for the whole explanation (local processes start once)."""

    def __init__(self, catalog: Catalog, method: str, executor: Executor | None, workers: int,
                 until: float | None):
        self.catalog, self.method, self.executor, self.workers = catalog.without_extras(), method, executor, workers
        self.until = until
        self._pool: tuple[Executor, list[Any]] | None = None
        self._opened: Any = None

    @property
    def out_of_time(self) -> bool:
        return self.until is not None and time.time() >= self.until

    def __enter__(self) -> _Runner:
        if self.executor is not None or self.workers > 1:
            self._opened = _executor([self.catalog], self.executor, self.workers)
            self._pool = self._opened.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        if self._opened is not None:
            return self._opened.__exit__(*exc)
        return None

    def run(self, jobs: Sequence[Job], react: Callable[[Any, Result | None], list[Job]]) -> None:
        """Run `jobs` and every job `react(tag, result)` returns as each one finishes (its Result, or
        None: no plan in time, or not started before the time limit), until none is left."""
        if self._pool is None:
            queue = deque(jobs)
            while queue:
                check_stop()
                scenario, change, tag = queue.popleft()
                queue.extend(react(tag, _resolve(self.catalog, scenario, change, self.method, self.until)))
            return
        pool, refs = self._pool
        running: dict[Future, Job] = {}

        def submit(job: Job) -> None:
            scenario, change, _ = job
            running[pool.submit(_resolve_job, refs[0], scenario, change, self.method, self.until)] = job

        for job in jobs:
            submit(job)
        try:
            while running:
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    for new in react(job[2], _outcome(future, job[0])):
                        submit(new)
                check_stop()
        finally:
            for future in running:
                future.cancel()


def _resolve_job(catalog: Catalog | str, scenario: Scenario, change: Change, method: str,
                 until: float | None) -> Result | None:
    return _resolve(_CATALOGS[catalog] if isinstance(catalog, str) else catalog, scenario, change, method, until)


def _resolve(catalog: Catalog, scenario: Scenario, change: Change, method: str, until: float | None) -> Result | None:
    """One re-solve (in a worker): the scenario, with one creator's price changed where `change` says;
    None when the time limit (`until`, time.time()) has passed or no plan was found by then."""
    if until is not None and time.time() >= until:
        return None
    if change is not None:
        catalog = priced(catalog, *change)
    return _solve(catalog, _limited(scenario, until), method, diagnose=False)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _finite_dict(data: dict[str, Any]) -> dict[str, Any]:
    return {key: _finite(value) for key, value in data.items()}
