"""The independent check: every constraint of a plan, recomputed from the catalog with numpy.

Nothing here reads the solver or the model arrays: the plan is a posts count per catalog
row, and every figure is derived again from the catalog columns and the scenario.
"""

from __future__ import annotations

import numpy as np

from models.catalog import Catalog
from models.errors import VerificationError
from models.result import ConstraintRow
from models.scenario import Scenario

FEASIBILITY = 1e-6   # relative tolerance for a satisfied constraint
BINDING = 1e-3       # relative slack under which a constraint is called binding


def check_plan(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[ConstraintRow]:
    """The scenario's constraints evaluated on the plan; raises VerificationError on any violation."""
    rows, faults = _evaluate(catalog, scenario, posts)
    if faults:
        raise VerificationError("plan fails the independent check: " + "; ".join(faults))
    return rows


def violations(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[str]:
    """What check_plan would complain about (empty when the plan is feasible)."""
    return _evaluate(catalog, scenario, posts)[1]


def _evaluate(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> tuple[list[ConstraintRow], list[str]]:
    rows = constraint_rows(catalog, scenario, posts)
    faults = structural_faults(catalog, scenario, posts) + [
        f"{row.name}: {row.lhs:.6g} {row.sense} {row.rhs:.6g}" for row in rows if not _satisfied(row)]
    return rows, faults


def structural_faults(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[str]:
    """Integral posts within [0, max_posts], booked rows eligible, included ids booked."""
    frame, faults = catalog.frame, []
    ids = frame["id"].to_numpy(object)
    booked = posts > 0
    if np.any(posts != np.round(posts)) or np.any(posts < 0):
        faults.append("posts must be whole numbers >= 0")
    over = booked & (posts > frame["max_posts"].to_numpy())
    if over.any():
        faults.append(f"posts above max_posts for {', '.join(ids[over][:5])}")
    included = np.isin(ids, list(scenario.selection.include))
    ineligible = booked & ~(included | _passes_filters(catalog, scenario))
    ineligible |= booked & np.isin(ids, list(scenario.selection.exclude))
    if ineligible.any():
        faults.append(f"booked but not eligible: {', '.join(ids[ineligible][:5])}")
    if np.any(included & ~booked):
        faults.append(f"included but not booked: {', '.join(ids[included & ~booked][:5])}")
    return faults


def _passes_filters(catalog: Catalog, scenario: Scenario) -> np.ndarray:
    frame, filters = catalog.frame, scenario.filters
    checks = [
        (filters.platforms, lambda allowed: frame["platform"].str.lower().isin([p.lower() for p in allowed])),
        (filters.niches, lambda allowed: frame["niche"].isin(allowed)),
        (filters.countries, lambda allowed: frame["country"].isin(allowed)),
        (filters.min_followers, lambda low: frame["followers"] >= low),
        (filters.max_followers, lambda high: frame["followers"] <= high),
        (filters.min_authenticity, lambda low: frame["authenticity"] >= low),
        (filters.min_engagement_rate, lambda low: frame["engagement_rate"] >= low),
    ]
    passes = np.ones(len(frame), dtype=bool)
    for setting, test in checks:
        if setting is not None:
            passes &= np.asarray(test(setting), dtype=bool)
    return passes


def constraint_rows(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[ConstraintRow]:
    """One row per constraint the scenario sets, in scenario order."""
    frame = catalog.frame
    booked = (posts > 0).astype(float)
    row_spend = frame["cost_per_post"].to_numpy(float) * posts
    spend = float(row_spend.sum())
    audience = frame["followers"].to_numpy(float) * frame["authenticity"].to_numpy(float)
    engagements = float((frame["followers"].to_numpy(float) * frame["engagement_rate"].to_numpy(float) * posts).sum())
    rows: list[ConstraintRow] = []

    def add(name: str, lhs: float, sense: str, rhs: float | None) -> None:
        if rhs is not None:
            rows.append(_row(name, float(lhs), sense, float(rhs)))

    add("budget.max", spend, "<=", scenario.budget.max)
    add("budget.min", spend, ">=", scenario.budget.min)
    add("targets.engagements", engagements, ">=", scenario.targets.engagements)
    add("targets.reach", float(audience @ booked), ">=", scenario.targets.reach)
    for segment, floor in scenario.coverage.items():
        reach = float((audience * frame[f"aud_{segment}"].to_numpy(float)) @ booked)
        add(f"coverage.{segment}", reach, ">=", floor.min_reach)
    diversity = scenario.diversity
    share = diversity.max_share_per_influencer
    add("diversity.max_share_per_influencer", row_spend.max(initial=0.0), "<=",
        None if share is None else share * spend)
    add("diversity.min_influencers", booked.sum(), ">=", diversity.min_influencers)
    add("diversity.max_influencers", booked.sum(), "<=", diversity.max_influencers)
    for column, groups in scenario.limits.items():
        values = _column(catalog, scenario, column)
        for value, limit in groups.items():
            member = values == value
            name = f"limits.{column}.{value}"
            group_spend = float(row_spend[member].sum())
            add(f"{name}.min_share", group_spend, ">=", None if limit.min_share is None else limit.min_share * spend)
            add(f"{name}.max_share", group_spend, "<=", None if limit.max_share is None else limit.max_share * spend)
            add(f"{name}.min_count", booked[member].sum(), ">=", limit.min_count)
            add(f"{name}.max_count", booked[member].sum(), "<=", limit.max_count)
    for column, floor in diversity.min_distinct.items():
        distinct = len(set(_column(catalog, scenario, column)[booked > 0]))
        add(f"diversity.min_distinct.{column}", distinct, ">=", floor)
    return rows


def _column(catalog: Catalog, scenario: Scenario, column: str) -> np.ndarray:
    if column == "tier":
        return catalog.tiers(scenario.tier_scheme)
    if column == "platform":
        return catalog.frame[column].astype(str).str.lower().to_numpy(object)
    return catalog.frame[column].to_numpy(object)


def _row(name: str, lhs: float, sense: str, rhs: float) -> ConstraintRow:
    slack = rhs - lhs if sense == "<=" else lhs - rhs
    scale = max(1.0, abs(rhs))
    return ConstraintRow(name, lhs, sense, rhs, slack, bool(slack <= BINDING * scale))


def _satisfied(row: ConstraintRow) -> bool:
    return row.slack >= -FEASIBILITY * max(1.0, abs(row.rhs), abs(row.lhs))
