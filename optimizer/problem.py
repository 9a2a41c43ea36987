"""The eligible influencers of a scenario as numpy arrays (SPEC section 4, first paragraph)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from models.catalog import Catalog
from models.errors import ScenarioError
from models.scenario import Scenario

CATEGORICAL = ("tier", "platform", "niche", "country")


@dataclass(frozen=True)
class Problem:
    """Everything the model needs, one entry per eligible influencer."""

    scenario: Scenario
    catalog: Catalog
    positions: np.ndarray        # catalog row of each eligible influencer
    cost: np.ndarray             # c_i, per post
    engagements: np.ndarray      # E_i, per post
    audience: np.ndarray         # A_i
    max_posts: np.ndarray        # m_i, tightened by the budget and the per-influencer share
    included: np.ndarray         # bool: must be booked
    categories: dict[str, np.ndarray]  # tier, platform, niche, country of each influencer

    @property
    def n(self) -> int:
        return len(self.positions)

    def segment_audience(self, segment: str) -> np.ndarray:
        """A_ik for the eligible influencers."""
        return self.audience * self.catalog.frame[f"aud_{segment}"].to_numpy(float)[self.positions]

    def targeted_audience(self) -> np.ndarray:
        """sum_k w_k A_ik over every catalog segment (weight 1 unless the scenario says)."""
        weights = self.scenario.objective.segment_weights
        total = np.zeros(self.n)
        for segment in self.catalog.segments:
            total += weights.get(segment, 1.0) * self.segment_audience(segment)
        return total


def prepare(catalog: Catalog, scenario: Scenario) -> Problem:
    """Check the scenario against the catalog and select the eligible influencers."""
    check_against_catalog(catalog, scenario)
    frame = catalog.frame
    categories = catalog_categories(catalog, scenario)
    positions = np.flatnonzero(_eligible(catalog, scenario, categories))
    included = np.isin(frame["id"].to_numpy(object)[positions], list(scenario.selection.include))
    cost = frame["cost_per_post"].to_numpy(float)[positions]
    return Problem(
        scenario=scenario,
        catalog=catalog,
        positions=positions,
        cost=cost,
        engagements=catalog.engagements_per_post[positions],
        audience=catalog.audience[positions],
        max_posts=_tightened_max_posts(frame["max_posts"].to_numpy(np.int64)[positions], cost, included, scenario),
        included=included,
        categories={column: values[positions] for column, values in categories.items()},
    )


def catalog_categories(catalog: Catalog, scenario: Scenario) -> dict[str, np.ndarray]:
    """tier (the scenario's scheme), platform, niche and country of every catalog row."""
    frame = catalog.frame
    return {"tier": catalog.tiers(scenario.tier_scheme),
            **{column: frame[column].to_numpy(object) for column in CATEGORICAL[1:]}}


def filter_masks(catalog: Catalog, scenario: Scenario, categories: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each filter the scenario sets (its key in [filters]), the catalog rows that pass it."""
    frame, filters = catalog.frame, scenario.filters
    tests = {
        "platforms": lambda allowed: np.isin(categories["platform"], list(allowed)),
        "niches": lambda allowed: np.isin(categories["niche"], list(allowed)),
        "countries": lambda allowed: np.isin(categories["country"], list(allowed)),
        "min_followers": lambda low: frame["followers"].to_numpy(float) >= low,
        "max_followers": lambda high: frame["followers"].to_numpy(float) <= high,
        "min_authenticity": lambda low: frame["authenticity"].to_numpy(float) >= low,
        "min_engagement_rate": lambda low: frame["engagement_rate"].to_numpy(float) >= low,
    }
    return {key: test(getattr(filters, key)) for key, test in tests.items() if getattr(filters, key) is not None}


def _eligible(catalog: Catalog, scenario: Scenario, categories: dict[str, np.ndarray]) -> np.ndarray:
    """Rows passing [filters], plus included ids, minus excluded ids."""
    keep = np.ones(catalog.rows, dtype=bool)
    for passes in filter_masks(catalog, scenario, categories).values():
        keep &= passes
    ids = catalog.frame["id"].to_numpy(object)
    keep |= np.isin(ids, list(scenario.selection.include))
    keep &= ~np.isin(ids, list(scenario.selection.exclude))
    return keep


def _tightened_max_posts(max_posts: np.ndarray, cost: np.ndarray, included: np.ndarray,
                         scenario: Scenario) -> np.ndarray:
    """m_i lowered to what budget.max and max_share_per_influencer allow (c_i x_i <= p * budget.max),
    and to 0 for every paid post when no plan can spend anything (`_placeable_share`)."""
    budget = scenario.budget.max
    share = scenario.diversity.max_share_per_influencer or 1.0
    tightened = max_posts
    if budget is not None:
        with np.errstate(divide="ignore"):
            affordable = np.where(cost > 0, np.floor(share * budget / np.where(cost > 0, cost, 1.0) + 1e-9), np.inf)
        tightened = np.minimum(tightened, affordable).astype(np.int64)
    if _placeable_share(scenario) < 1:
        tightened = np.where(cost > 0, 0, tightened)
    return np.where(included, np.maximum(tightened, 1), tightened)


def _placeable_share(scenario: Scenario) -> float:
    """The most of the spend S that the booked influencers can place: S is a sum of at most
    max_influencers terms, each at most max_share_per_influencer * S (below 1: S = 0)."""
    diversity = scenario.diversity
    if diversity.max_influencers is None or diversity.max_share_per_influencer is None:
        return np.inf
    return diversity.max_influencers * diversity.max_share_per_influencer


def check_against_catalog(catalog: Catalog, scenario: Scenario) -> None:
    """The catalog-dependent rules of SPEC section 3; raises ScenarioError naming the key."""
    problems: list[tuple[str, str]] = []
    objective = scenario.objective
    if objective.sense == "maximize" and scenario.budget.max is None:
        problems.append(("budget.max", "a maximize objective needs budget.max (or --budget)"))
    if objective.sense == "minimize" and not _has_floor(scenario):
        problems.append(("objective.minimize", "minimize = \"cost\" needs a target, a coverage floor or a count floor"))
    known = set(catalog.segments)
    for key, segment in [(f"coverage.{s}", s) for s in scenario.coverage] + [
            (f"objective.segment_weights.{s}", s) for s in objective.segment_weights]:
        if segment not in known:
            problems.append((key, f"segment '{segment}' is not in the catalog (no column aud_{segment}); "
                                  f"catalog segments: {', '.join(catalog.segments) or 'none'}"))
    for column, groups in scenario.limits.items():
        present = set(_column_values(catalog, scenario, column))
        for value in groups:
            if value not in present:
                problems.append((f"limits.{column}.{value}", f"'{value}' appears nowhere in column {column}"))
    named = [*scenario.selection.include, *scenario.selection.exclude]
    ids = set(catalog.frame["id"][catalog.frame["id"].isin(named)]) if named else set()
    missing = [i for i in scenario.selection.include if i not in ids]
    if missing:
        problems.append(("selection.include", f"ids not in the catalog: {', '.join(missing)}"))
    unknown = [i for i in scenario.selection.exclude if i not in ids]
    if unknown:
        _warn(scenario, "selection.exclude", f"ids not in the catalog: {', '.join(unknown)}")
    if _placeable_share(scenario) < 1:
        most, share = scenario.diversity.max_influencers, scenario.diversity.max_share_per_influencer
        _warn(scenario, "diversity.max_influencers", f"{most} influencer{'' if most == 1 else 's'}, each at most "
              f"{share:g} of the spend, can place only {most * share:.0%} of it: no plan can spend anything")
    if problems:
        first_file = scenario.key_file(problems[0][0])
        raise ScenarioError(first_file, [_locate(scenario, key, first_file) + message for key, message in problems])


def _warn(scenario: Scenario, key: str, message: str) -> None:
    """A warning located like an error: the file that set the key, and the key."""
    source = scenario.key_file(key)
    warnings.warn(f"{f'{source}: ' if source else ''}key {key}: {message}", stacklevel=4)


def _column_values(catalog: Catalog, scenario: Scenario, column: str) -> list[str]:
    """Values a limit may name: those in the column (for tier: also every tier of the scheme)."""
    if column == "tier":
        return list(scenario.tier_scheme) + list(catalog.frame["tier"].unique())
    return list(catalog.frame[column].unique())


def _has_floor(scenario: Scenario) -> bool:
    """A target, a coverage floor or a count floor: something for minimize cost to meet."""
    targets, diversity = scenario.targets, scenario.diversity
    return (
        targets.engagements is not None or targets.reach is not None or bool(scenario.coverage)
        or diversity.min_influencers is not None
        or any(limit.min_count is not None for groups in scenario.limits.values() for limit in groups.values())
    )


def _locate(scenario: Scenario, key: str, first_file) -> str:
    """'key a.b: ' prefixed by the file that set it when that is not the error's file."""
    file = scenario.key_file(key)
    return (f"{file}: " if file != first_file else "") + f"key {key}: "
