"""The independent checks of the outcome floors with [audience] or [robustness] (docs/reference.md
"Audience", "Dropouts"), from the plan alone.

Each floor's value is recomputed in closed form from the catalog and the posts
(optimizer/audience.py): engagements `sum E_i x_i`, impressions `sum A_i v_i x_i`, reach
`sum A_i y_i` (gross) or `U = N (1 - prod (1 - r_i(x_i)/N))` (unique), per segment likewise.
With G dropouts the floor is judged on its worst case: the value without the G creators whose
loss hurts most (the G largest contributions, or for U the G largest log terms).
Without [audience] and dropouts the checks of optimizer/checks.py apply unchanged.
"""

from __future__ import annotations

import numpy as np

from models.result import ConstraintRow
from optimizer import checks
from optimizer.audience import (floor_keys, floor_wanted, from_log, log_terms, people_reached, view_rates,
                                without_largest)
from optimizer.checks import BINDING, Plan


def unchanged(plan: Plan) -> bool:
    return plan.scenario.audience is None and plan.scenario.robustness.dropouts == 0


def floor_value(plan: Plan, key: str) -> tuple[float, float, float]:
    """The floor's value, its value after the worst dropouts, and the scenario's floor."""
    scenario, frame = plan.scenario, plan.catalog.frame
    dropouts, audience = scenario.robustness.dropouts, scenario.audience
    wanted = floor_wanted(scenario, key)
    if key == "targets.engagements":
        contributions = frame["followers"].to_numpy(float) * frame["engagement_rate"].to_numpy(float) * plan.posts
        return _additive(contributions, dropouts) + (wanted,)
    if key == "targets.impressions":
        contributions = plan.audience * view_rates(plan.catalog, scenario) * plan.posts
        return _additive(contributions, dropouts) + (wanted,)
    if key == "targets.reach":
        reach, population = plan.audience, audience and audience.population
    else:
        segment = key.removeprefix("coverage.")
        reach = plan.catalog.segment_audience(segment)         # a union "k+l": A_ik + A_il
        population = audience and audience.segments[segment]
    if audience is None:
        return _additive(reach * plan.booked, dropouts) + (wanted,)
    terms = log_terms(population, people_reached(reach, view_rates(plan.catalog, scenario), plan.posts))
    return (float(from_log(population, terms.sum())), float(from_log(population, without_largest(terms, dropouts))),
            wanted)


def _additive(contributions: np.ndarray, dropouts: int) -> tuple[float, float]:
    return float(contributions.sum()), without_largest(contributions, dropouts)


def floor_row(plan: Plan, key: str) -> ConstraintRow:
    """A floor's row: lhs its value, slack judged on the worst case with dropouts."""
    value, worst, wanted = floor_value(plan, key)
    robust = plan.scenario.robustness.dropouts > 0
    judged = worst if robust else value
    slack = judged - float(wanted)
    return ConstraintRow(key, value, ">=", float(wanted), slack, bool(slack <= BINDING * max(1.0, abs(wanted))),
                         worst if robust else None)


def targets(plan: Plan) -> list[ConstraintRow]:
    """targets.engagements, targets.reach (unique U with [audience]), targets.impressions."""
    if unchanged(plan):
        return checks.targets(plan)
    return [floor_row(plan, key) for key in floor_keys(plan.scenario) if key.startswith("targets.")]


def coverage(plan: Plan) -> list[ConstraintRow]:
    """coverage.k: the segment's reach (U_k with [audience]) against min_reach."""
    if unchanged(plan):
        return checks.coverage(plan)
    return [floor_row(plan, key) for key in floor_keys(plan.scenario) if key.startswith("coverage.")]
