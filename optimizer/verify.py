"""The independent check: every constraint of a plan, recomputed from the catalog with numpy.

Nothing here reads the solver or the model arrays: the plan is a posts count per catalog
row, and every figure is derived again from the catalog columns and the scenario. The
structural faults are checked here; each constraint kind by its check in
optimizer/checks.py, in the order of optimizer/registry.py.
"""

from __future__ import annotations

import numpy as np

from models.catalog import Catalog
from models.errors import VerificationError
from models.result import ConstraintRow
from models.scenario import Scenario
from optimizer.checks import Plan
from optimizer.registry import KINDS

FEASIBILITY = 1e-6   # relative tolerance for a satisfied constraint


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


def constraint_rows(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[ConstraintRow]:
    """One row per bound the scenario sets, kind by kind in registry order; figured on the rows with
    posts alone (the others add nothing to any figure)."""
    held = np.flatnonzero(posts)
    plan = Plan(catalog.subset(held), scenario, posts[held])
    return [row for kind in KINDS for row in kind.check(plan)]


def structural_faults(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> list[str]:
    """Integral posts within [0, max_posts] and max_posts_per_influencer, booked rows eligible, included ids booked."""
    frame, faults = catalog.frame, []
    ids = frame["id"].to_numpy(object)
    booked = posts > 0
    if np.any(posts != np.round(posts)) or np.any(posts < 0):
        faults.append("posts must be whole numbers >= 0")
    over = booked & (posts > frame["max_posts"].to_numpy())
    if over.any():
        faults.append(f"posts above max_posts for {', '.join(ids[over][:5])}")
    most = scenario.diversity.max_posts_per_influencer
    if most is not None and np.any(posts > most):
        faults.append(f"posts above diversity.max_posts_per_influencer ({most}) for {', '.join(ids[posts > most][:5])}")
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
        (filters.niches, lambda allowed: frame["niche"].str.casefold().isin([n.casefold() for n in allowed])),
        (filters.countries, lambda allowed: frame["country"].str.casefold().isin([c.casefold() for c in allowed])),
        (filters.exclude_niches, lambda banned: ~frame["niche"].str.casefold().isin([n.casefold() for n in banned])),
        (filters.exclude_countries,
         lambda banned: ~frame["country"].str.casefold().isin([c.casefold() for c in banned])),
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


def _satisfied(row: ConstraintRow) -> bool:
    return row.slack >= -FEASIBILITY * max(1.0, abs(row.rhs), abs(row.lhs))
