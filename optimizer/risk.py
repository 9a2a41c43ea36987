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

import numpy as np

from models.catalog import Catalog
from models.scenario import Scenario
from optimizer.constraints import Layout
from optimizer.milp import RowBlock
from optimizer.problem import Problem
from optimizer.simulate import cvar, per_creator

OPTIMIZATION_STREAM = 1


def _rng(scenario: Scenario, stream: int) -> np.random.Generator:
    return np.random.default_rng([scenario.simulation.seed, OPTIMIZATION_STREAM, stream])


def delivered(catalog: Catalog, scenario: Scenario, rows: np.ndarray) -> np.ndarray:
    """D_ri of the optimization runs (runs x len(rows), 0/1) for the given catalog rows."""
    runs = scenario.objective.risk.runs
    chance = per_creator(catalog, "delivery", scenario.simulation.delivery)
    return (_rng(scenario, 0).random((runs, catalog.rows)) < chance)[:, rows].astype(np.float64)


def factors(catalog: Catalog, scenario: Scenario, rows: np.ndarray, slot: int) -> np.ndarray:
    """F_rij of post slot `slot` (1 = first post) in the optimization runs, runs x len(rows)."""
    runs = scenario.objective.risk.runs
    sd = per_creator(catalog, "engagement_sd", scenario.simulation.engagement_sd)[rows]
    draws = _rng(scenario, slot).standard_normal((runs, catalog.rows))[:, rows]
    return np.exp(draws * sd - sd ** 2 / 2)


def expected_unit(catalog: Catalog, scenario: Scenario, rows: np.ndarray) -> np.ndarray:
    """delta_i E_i (engagements, per post) or delta_i A_i (reach, per booked creator)."""
    chance = per_creator(catalog, "delivery", scenario.simulation.delivery)[rows]
    unit = catalog.engagements_per_post if scenario.objective.metric == "engagements" else catalog.audience
    return chance * unit[rows]


def sampled_outcomes(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> np.ndarray:
    """L_r of a plan (posts per catalog row) in each optimization run."""
    booked = np.flatnonzero(posts > 0)
    delivery = delivered(catalog, scenario, booked)
    if scenario.objective.metric == "reach":
        return delivery @ catalog.audience[booked]
    earned = np.zeros_like(delivery)
    for slot in range(1, int(posts.max(initial=0)) + 1):
        active = posts[booked] >= slot
        earned += factors(catalog, scenario, booked, slot) * active
    return (delivery * earned) @ catalog.engagements_per_post[booked]


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
    catalog, positions = problem.catalog, problem.positions
    delivery = delivered(catalog, scenario, positions)
    if scenario.objective.metric == "reach":
        cols, coefficients = layout.y(), delivery * problem.audience
    else:
        owner, number, cols = layout.slot_owner(), layout.slot_number(), layout.d()
        coefficients = np.zeros((delivery.shape[0], cols.size))
        for slot in range(1, int(number.max(initial=0)) + 1):
            at = np.flatnonzero(number == slot)
            earned = delivery * factors(catalog, scenario, positions, slot) * problem.engagements
            coefficients[:, at] = earned[:, owner[at]]
    run, column = np.nonzero(coefficients)
    runs = coefficients.shape[0]
    every = np.arange(runs)
    rows = np.concatenate([run, every, every])
    allcols = np.concatenate([cols[column], layout.u(), np.full(runs, layout.eta())])
    vals = np.concatenate([coefficients[run, column], np.ones(runs), -np.ones(runs)])
    none = [None] * runs
    return RowBlock(rows, allcols, vals, np.zeros(runs), np.full(runs, np.inf), none, none)
