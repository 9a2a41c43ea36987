"""The risk objective `[objective] risk = {cvar, weight, runs}` (SPEC section 10, docs/part-two-risk.md).

Maximize `(1 - w) * mean + w * CVaR_a` over R sampled runs of the plan, drawn with the law of
optimizer/simulate.py: creator i delivers with probability delta_i; its post j earns
`E_i F_rij`, `F_rij = exp(s_i Z_rij - s_i^2 / 2)`. A run's outcome is linear in the plan:

- engagements `L_r = sum_ij D_ri E_i F_rij d_ij` over the post slots d_ij (post j only after
  post j - 1: optimizer/floors.py `post_slots`), so the sample is fitted to the law, not to lucky slots;
- gross reach `L_r = sum_i D_ri A_i y_i`.

`mean` is the exact expectation `sum_i delta_i E_i x_i` (or `delta_i A_i y_i`): weight 0 is the
mean-optimal objective. CVaR is Rockafellar-Uryasev: `eta - 1/(a R) sum_r u_r` with
`u_r - eta + L_r >= 0`, `u_r >= 0` (eta >= 0 is no restriction: outcomes are never negative),
exact for the sampled problem. The runs come from `default_rng([seed, 1, k])` (k = 0: delivery,
k = j: post slot j), a stream apart from the simulation's `default_rng(seed)`, drawn for every
catalog row: the model and `risk_value` (from the catalog and the posts alone) see the same runs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.catalog import Catalog
from models.scenario import Scenario
from optimizer.constraints import Layout
from optimizer.milp import RowBlock
from optimizer.problem import Problem
from optimizer.simulate import cvar, per_creator

OPTIMIZATION_STREAM = 1
BLOCK_CELLS = 4_000_000
"""Most runs x catalog rows drawn at once (32 MB of float64)."""


@dataclass
class RunDraws:
    """The optimization runs of a catalog, drawn once and kept (float32, runs x catalog rows):
    `delivered` D_ri, and `earned(j)` = D_ri F_rij of post slot j, drawn when first asked for."""

    scenario: Scenario
    chance: np.ndarray
    sd: np.ndarray
    delivered: np.ndarray
    slots: dict[int, np.ndarray] = field(default_factory=dict)

    def earned(self, slot: int) -> np.ndarray:
        """D_ri F_rij of post slot `slot` (1 = first post), runs x catalog rows."""
        if slot not in self.slots:
            sd = self.sd
            self.slots[slot] = _drawn(self.scenario, slot, sd.size, lambda rng, runs: np.exp(
                rng.standard_normal((runs, sd.size)) * sd - sd ** 2 / 2), self.delivered)
        return self.slots[slot]


_DRAWN: weakref.WeakKeyDictionary[Catalog, tuple[tuple, RunDraws]] = weakref.WeakKeyDictionary()


def run_draws(catalog: Catalog, scenario: Scenario) -> RunDraws:
    """The catalog's optimization runs under the scenario's seed, runs and defaults, kept for the
    catalog (the latest settings only) so that every model and check of a solve reuses them."""
    settings = scenario.simulation
    key = (settings.seed, scenario.objective.risk.runs, settings.delivery, settings.engagement_sd)
    kept = _DRAWN.get(catalog)
    if kept is not None and kept[0] == key:
        return kept[1]
    chance = per_creator(catalog, "delivery", settings.delivery)
    sd = per_creator(catalog, "engagement_sd", settings.engagement_sd)
    delivered = _drawn(scenario, 0, catalog.rows, lambda rng, runs: rng.random((runs, catalog.rows)) < chance)
    draws = RunDraws(scenario, chance, sd, delivered)
    _DRAWN[catalog] = (key, draws)
    return draws


def _drawn(scenario: Scenario, stream: int, cols: int, draw: Callable[[np.random.Generator, int], np.ndarray],
           times: np.ndarray | None = None) -> np.ndarray:
    """runs x cols of `draw(rng, runs)` from `default_rng([seed, 1, stream])` (times `times`) as float32,
    drawn in blocks of runs: the same numbers as one draw (the stream is consumed run by run)."""
    runs = scenario.objective.risk.runs
    rng = np.random.default_rng([scenario.simulation.seed, OPTIMIZATION_STREAM, stream])
    out = np.empty((runs, cols), dtype=np.float32)
    block = max(1, BLOCK_CELLS // max(cols, 1))
    for start in range(0, runs, block):
        stop = min(start + block, runs)
        out[start:stop] = draw(rng, stop - start)
    if times is not None:
        out *= times
    return out


def expected_unit(catalog: Catalog, scenario: Scenario, rows: np.ndarray) -> np.ndarray:
    """delta_i E_i (engagements, per post) or delta_i A_i (reach, per booked creator)."""
    chance = per_creator(catalog, "delivery", scenario.simulation.delivery)[rows]
    unit = catalog.engagements_per_post if scenario.objective.metric == "engagements" else catalog.audience
    return chance * unit[rows]


def sampled_outcomes(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> np.ndarray:
    """L_r of a plan (posts per catalog row) in each optimization run."""
    booked = np.flatnonzero(posts > 0)
    draws = run_draws(catalog, scenario)
    if scenario.objective.metric == "reach":
        return draws.delivered[:, booked].astype(np.float64) @ catalog.audience[booked]
    earned = np.zeros((scenario.objective.risk.runs, booked.size))
    for slot in range(1, int(posts.max(initial=0)) + 1):
        earned += draws.earned(slot)[:, booked] * (posts[booked] >= slot)
    return earned @ catalog.engagements_per_post[booked]


def risk_value(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> float:
    """The risk objective of a plan on the optimization runs: (1 - w) exact mean + w CVaR."""
    risk = scenario.objective.risk
    booked = np.flatnonzero(posts > 0)
    amount = posts[booked] if scenario.objective.metric == "engagements" else np.ones(booked.size)
    mean = float(expected_unit(catalog, scenario, booked) @ amount)
    return (1 - risk.weight) * mean + risk.weight * cvar(sampled_outcomes(catalog, scenario, posts), risk.cvar)


def risk_objective(problem: Problem, layout: Layout, obj: np.ndarray) -> None:
    """(1 - w) delta_i E_i on x (or delta_i A_i on y), w on eta, -w / (a R) on each u_r."""
    risk, scenario = problem.scenario.objective.risk, problem.scenario
    unit = expected_unit(problem.catalog, scenario, problem.positions)
    obj[layout.x() if scenario.objective.metric == "engagements" else layout.y()] = (1 - risk.weight) * unit
    obj[layout.eta()] = risk.weight
    obj[layout.u()] = -risk.weight / (risk.cvar * risk.runs)


def scenario_rows(problem: Problem, layout: Layout) -> RowBlock | None:
    """u_r - eta + L_r >= 0 for each optimization run r: dense rows over the post slots (engagements)
    or the y columns (reach), built from the runs x columns matrix of D_ri E_i F_rij (or D_ri A_i)."""
    scenario = problem.scenario
    if scenario.objective.risk is None:
        return None
    draws, positions = run_draws(problem.catalog, scenario), problem.positions
    if scenario.objective.metric == "reach":
        cols, coefficients = layout.y(), draws.delivered[:, positions] * problem.audience
    else:
        owner, number, cols = layout.slot_owner(), layout.slot_number(), layout.d()
        coefficients = np.zeros((scenario.objective.risk.runs, cols.size))
        for slot in range(1, int(number.max(initial=0)) + 1):
            at = np.flatnonzero(number == slot)
            coefficients[:, at] = draws.earned(slot)[:, positions[owner[at]]] * problem.engagements[owner[at]]
    run, column = np.nonzero(coefficients)
    runs = coefficients.shape[0]
    every = np.arange(runs)
    rows = np.concatenate([run, every, every])
    allcols = np.concatenate([cols[column], layout.u(), np.full(runs, layout.eta())])
    vals = np.concatenate([coefficients[run, column], np.ones(runs), -np.ones(runs)])
    none = [None] * runs
    return RowBlock(rows, allcols, vals, np.zeros(runs), np.full(runs, np.inf), none, none)
