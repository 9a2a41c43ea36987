"""One independent check per constraint kind: the plan's figures against the scenario's bounds.

Nothing here reads the solver, the Problem or the model arrays: a `Plan` is a posts count
per catalog row, and every figure is derived again from the catalog columns and the
scenario. Each check returns one ConstraintRow per bound the scenario sets, named by its
scenario key (the same key the model's rows carry; see docs/reference.md "Constraints").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from models.catalog import Catalog
from models.catalog_rules import named_cells
from models.columns import segments_of
from models.result import ConstraintRow
from models.scenario import Scenario

BINDING = 1e-3       # relative slack under which a constraint is called binding


@dataclass(frozen=True)
class Plan:
    """A plan's figures per catalog row, from the catalog alone."""

    catalog: Catalog
    scenario: Scenario
    posts: np.ndarray

    @cached_property
    def booked(self) -> np.ndarray:
        return (self.posts > 0).astype(float)

    @cached_property
    def row_spend(self) -> np.ndarray:
        """Each row's spend: its posts at cost_per_post times the [prices] multipliers of its groups, plus its
        fee when booked."""
        frame = self.catalog.frame
        price = frame["cost_per_post"].to_numpy(float)
        for column, multipliers in self.scenario.prices.items():
            values = self.column(column)
            price = price * np.array([multipliers.get(value, 1.0) for value in values])
        fee = frame["fee"].to_numpy(float) if "fee" in frame.columns else 0.0
        return price * self.posts + fee * self.booked

    @cached_property
    def spend(self) -> float:
        return float(self.row_spend.sum())

    @cached_property
    def audience(self) -> np.ndarray:
        frame = self.catalog.frame
        return frame["followers"].to_numpy(float) * frame["authenticity"].to_numpy(float)

    def column(self, column: str) -> np.ndarray:
        """A categorical column's value per row (tier from the scenario's scheme, platform lower-cased)."""
        if column == "tier":
            return self.catalog.tiers(self.scenario.tier_scheme)
        if column == "platform":
            return self.catalog.frame[column].astype(str).str.lower().to_numpy(object)
        return self.catalog.frame[column].to_numpy(object)


def row(name: str, lhs: float, sense: str, rhs: float | None) -> list[ConstraintRow]:
    """The ConstraintRow of one bound (none where the scenario does not set it)."""
    if rhs is None:
        return []
    lhs, rhs = float(lhs), float(rhs)
    slack = rhs - lhs if sense == "<=" else lhs - rhs
    return [ConstraintRow(name, lhs, sense, rhs, slack, bool(slack <= BINDING * max(1.0, abs(rhs))))]


def budget(plan: Plan) -> list[ConstraintRow]:
    """budget.max: S <= max; budget.min: S >= min."""
    budget = plan.scenario.budget
    return row("budget.max", plan.spend, "<=", budget.max) + row("budget.min", plan.spend, ">=", budget.min)


def targets(plan: Plan) -> list[ConstraintRow]:
    """targets.engagements: sum E x >= T; targets.reach: sum A y >= T."""
    frame, wanted = plan.catalog.frame, plan.scenario.targets
    engagements = float((frame["followers"].to_numpy(float) * frame["engagement_rate"].to_numpy(float)
                         * plan.posts).sum())
    return (row("targets.engagements", engagements, ">=", wanted.engagements)
            + row("targets.reach", float(plan.audience @ plan.booked), ">=", wanted.reach))


def coverage(plan: Plan) -> list[ConstraintRow]:
    """coverage.k: sum A aud_k y >= min_reach; for a union coverage."k+l": sum A (aud_k + aud_l) y."""
    frame = plan.catalog.frame
    def share(name: str) -> np.ndarray:
        return sum(frame[f"aud_{part}"].to_numpy(float) for part in segments_of(name))
    return [constraint for segment, floor in plan.scenario.coverage.items()
            for constraint in row(f"coverage.{segment}", float((plan.audience * share(segment)) @ plan.booked),
                                  ">=", floor.min_reach)]


def max_cpe(plan: Plan) -> list[ConstraintRow]:
    """targets.max_cpe: S <= max_cpe * sum E x (the plan's cost per engagement at most max_cpe)."""
    cpe, frame = plan.scenario.targets.max_cpe, plan.catalog.frame
    engagements = float((frame["followers"].to_numpy(float) * frame["engagement_rate"].to_numpy(float)) @ plan.posts)
    return row("targets.max_cpe", plan.spend, "<=", None if cpe is None else cpe * engagements)


def per_influencer(plan: Plan) -> list[ConstraintRow]:
    """diversity.max_share_per_influencer: the largest single spend <= share * S."""
    share = plan.scenario.diversity.max_share_per_influencer
    return row("diversity.max_share_per_influencer", plan.row_spend.max(initial=0.0), "<=",
               None if share is None else share * plan.spend)


def influencer_count(plan: Plan) -> list[ConstraintRow]:
    """diversity.min_influencers <= booked count <= diversity.max_influencers."""
    diversity, count = plan.scenario.diversity, plan.booked.sum()
    return (row("diversity.min_influencers", count, ">=", diversity.min_influencers)
            + row("diversity.max_influencers", count, "<=", diversity.max_influencers))


def group_limits(plan: Plan) -> list[ConstraintRow]:
    """limits.<column>.<value>.{min_share, max_share}: the group's spend against share * S;
    {min_count, max_count}: the group's booked count."""
    rows: list[ConstraintRow] = []
    spend = plan.spend
    for column, groups in plan.scenario.limits.items():
        values = plan.column(column)
        for value, limit in groups.items():
            member = values == value
            name = f"limits.{column}.{value}"
            group_spend, count = float(plan.row_spend[member].sum()), plan.booked[member].sum()
            rows += row(f"{name}.min_share", group_spend, ">=", None if limit.min_share is None else limit.min_share * spend)
            rows += row(f"{name}.max_share", group_spend, "<=", None if limit.max_share is None else limit.max_share * spend)
            rows += row(f"{name}.min_count", count, ">=", limit.min_count)
            rows += row(f"{name}.max_count", count, "<=", limit.max_count)
    return rows


def distinct(plan: Plan) -> list[ConstraintRow]:
    """diversity.min_distinct.<column>: distinct values among the booked >= floor (an empty cell is none)."""
    def values(column: str) -> set:
        cells = plan.column(column)
        return set(cells[(plan.booked > 0) & named_cells(cells)])
    return [constraint for column, floor in plan.scenario.diversity.min_distinct.items()
            for constraint in row(f"diversity.min_distinct.{column}", len(values(column)), ">=", floor)]
