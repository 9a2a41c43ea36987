"""A scenario read against its catalog: the catalog-dependent rules and the eligible rows.

The rules of docs/reference.md "Scenario file" that need the catalog (a coverage segment
or a limit value the catalog does not have, an include that is not in it, an objective
with nothing to work on) live here, beside the eligibility they share, so that `validate`,
`sweep` and the optimizer ask one place. See docs/reference.md "The model" for eligibility.
"""

from __future__ import annotations

import difflib
import math
import warnings

import numpy as np
import pandas as pd

from models.catalog import Catalog
from models.errors import ScenarioError, listed
from models.columns import segments_of
from models.scenario import Scenario

CATEGORICAL = ("tier", "platform", "niche", "country")
MAX_REPORTED = 20   # rows named per audience problem
FILTER_COLUMNS = {"platforms": "platform", "niches": "niche", "countries": "country"}  # compared case-insensitively
EXCLUDE_COLUMNS = {"exclude_niches": "niche", "exclude_countries": "country"}           # likewise, rows never booked


def check_against_catalog(catalog: Catalog, scenario: Scenario) -> None:
    """The catalog-dependent rules; raises ScenarioError naming each key at fault, warns on
    excluded ids the catalog lacks and on a spend no plan can place."""
    problems: list[tuple[str, str]] = []
    objective = scenario.objective
    if objective.sense == "maximize" and scenario.budget.max is None:
        problems.append(("budget.max", "a maximize objective needs budget.max (or --budget)"))
    if objective.sense == "minimize" and not _has_floor(scenario):
        problems.append(("objective.minimize", "minimize = \"cost\" needs a target, a coverage floor or a count floor"))
    known = set(catalog.segments)
    for key, segment in [(f"coverage.{s}", part) for s in scenario.coverage for part in segments_of(s)] + [
            (f"objective.segment_weights.{s}", s) for s in objective.segment_weights]:
        if segment not in known:
            problems.append((key, f"segment '{segment}' is not in the catalog (no column aud_{segment}); "
                                  f"catalog segments: {', '.join(catalog.segments) or 'none'}"))
    for column, groups in scenario.limits.items():
        present = [str(v) for v in _column_values(catalog, scenario, column)]
        for value in groups:
            if value not in present:
                problems.append((f"limits.{column}.{value}",
                                 f"'{value}' appears nowhere in column {column}{_hint(value, present)}"))
    for column, multipliers in scenario.prices.items():
        present = [str(v) for v in _column_values(catalog, scenario, column)]
        problems += [(f"prices.{column}.{value}", f"'{value}' appears nowhere in column {column}{_hint(value, present)}")
                     for value in multipliers if value not in present]
    for key, column in (FILTER_COLUMNS | EXCLUDE_COLUMNS).items():
        if not getattr(scenario.filters, key):
            continue
        present = {value.casefold(): value for value in map(str, catalog.frame[column].dropna().unique()) if value}
        for value in getattr(scenario.filters, key):
            if value.casefold() in present:
                continue
            hint = _hint(value.casefold(), list(present), present)
            if key in EXCLUDE_COLUMNS:      # excludes nobody, as an excluded id the catalog lacks (SPEC 4)
                _warn(scenario, f"filters.{key}", f"'{value}' appears nowhere in column {column}: excludes nobody{hint}")
            else:
                problems.append((f"filters.{key}", f"'{value}' appears nowhere in column {column}{hint}"))
    named = [*scenario.selection.include, *scenario.selection.exclude]
    ids = set(catalog.frame["id"][catalog.frame["id"].isin(named)]) if named else set()
    missing = [i for i in scenario.selection.include if i not in ids]
    if missing:
        problems.append(("selection.include", f"ids not in the catalog: {listed(missing)}"))
    unknown = [i for i in scenario.selection.exclude if i not in ids]
    if unknown:
        _warn(scenario, "selection.exclude", f"ids not in the catalog: {listed(unknown)}")
    if objective.segment_weights and objective.maximize != "targeted_reach":   # as in SPEC section 3's example
        _warn(scenario, "objective.segment_weights", 'only applies to maximize = "targeted_reach": not used')
    if objective.maximize == "targeted_reach":
        weighted = list(scenario.audience.segments) if scenario.audience is not None else catalog.segments
        if weighted and not any(objective.segment_weights.get(s, 1.0) > 0 for s in weighted):
            problems.append(("objective.segment_weights", "every segment weighs 0: every plan's targeted reach is 0"))
    for column, groups in scenario.limits.items():
        floors = sum(limit.min_share or 0.0 for limit in groups.values())
        if floors > 1 + 1e-9:     # one column's groups are disjoint: their spends sum to at most the total
            _warn(scenario, f"limits.{column}", f"the min_share floors sum to {floors:g}, above 1: "
                                                "no plan can spend anything")
    most, share = scenario.diversity.max_influencers, scenario.diversity.max_share_per_influencer
    placeable = placeable_share(scenario)
    if placeable < 1:
        _warn(scenario, "diversity.max_influencers", f"{most} influencer{'' if most == 1 else 's'}, each at most "
              f"{share:g} of the spend, can place only {most * share:.0%} of it: no plan can spend anything")
    elif math.isclose(placeable, 1) and most > 1:
        _warn(scenario, "diversity.max_influencers", f"{most} influencers, each at most {share:g} of the spend, "
              f"place all of it only if each spends exactly {share:g} of it: a plan must book {most} whose "
              "spends come out equal, which prices rarely allow (the solver may find no plan); allow one "
              "more influencer or a larger share")
    if scenario.audience is not None:
        problems += _audience_problems(catalog, scenario)
    if not problems and not eligible_rows(catalog, scenario).any():
        key = "filters" if scenario.filters.model_fields_set else "selection.exclude"
        _warn(scenario, key, f"no row of the catalog is eligible (all {catalog.rows:,} filtered out or excluded)")
    if problems:
        first_file = scenario.key_file(problems[0][0])
        raise ScenarioError(first_file, [_locate(scenario, key, first_file) + message for key, message in problems])


def catalog_categories(catalog: Catalog, scenario: Scenario) -> dict[str, np.ndarray]:
    """tier (the scenario's scheme), platform, niche and country of every catalog row."""
    frame = catalog.frame
    return {"tier": catalog.tiers(scenario.tier_scheme),
            **{column: frame[column].to_numpy(object) for column in CATEGORICAL[1:]}}


def named_cells(values: np.ndarray) -> np.ndarray:
    """Which cells of a categorical column name a value: an empty cell names none, so it is no
    distinct value of its column (diversity.min_distinct)."""
    return pd.notna(values) & (values.astype(str) != "")


def booking_prices(catalog: Catalog, scenario: Scenario,
                   categories: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per catalog row: the price of a post (cost_per_post times every [prices] multiplier whose
    group the row is in) and the fee of booking it (catalog column fee, 0 without one)."""
    frame = catalog.frame
    categories = catalog_categories(catalog, scenario) if categories is None else categories
    cost = frame["cost_per_post"].to_numpy(float).copy()
    for column, multipliers in scenario.prices.items():
        for value, multiplier in multipliers.items():
            cost[categories[column] == value] *= multiplier
    fee = frame["fee"].to_numpy(float) if "fee" in frame else np.zeros(catalog.rows)
    return cost, fee


def filter_masks(catalog: Catalog, scenario: Scenario, categories: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each filter the scenario sets (its key in [filters]), the catalog rows that pass it."""
    frame, filters = catalog.frame, scenario.filters
    def among(column: str, allowed: list[str]) -> np.ndarray:
        return np.isin(folded(categories[column]), [value.casefold() for value in allowed])

    tests = {
        **{key: (lambda allowed, column=column: among(column, allowed)) for key, column in FILTER_COLUMNS.items()},
        **{key: (lambda banned, column=column: ~among(column, banned)) for key, column in EXCLUDE_COLUMNS.items()},
        "min_followers": lambda low: frame["followers"].to_numpy(float) >= low,
        "max_followers": lambda high: frame["followers"].to_numpy(float) <= high,
        "min_authenticity": lambda low: frame["authenticity"].to_numpy(float) >= low,
        "min_engagement_rate": lambda low: frame["engagement_rate"].to_numpy(float) >= low,
    }
    return {key: test(getattr(filters, key)) for key, test in tests.items() if getattr(filters, key) is not None}


def folded(values: np.ndarray) -> np.ndarray:
    """Text values case-folded for comparison (missing values stay missing)."""
    return pd.Series(values, dtype=object).str.casefold().to_numpy(object)


def eligible_rows(catalog: Catalog, scenario: Scenario, categories: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Bool per catalog row: passes [filters], or is included; and is not excluded."""
    categories = catalog_categories(catalog, scenario) if categories is None else categories
    keep = np.ones(catalog.rows, dtype=bool)
    for passes in filter_masks(catalog, scenario, categories).values():
        keep &= passes
    ids = catalog.frame["id"].to_numpy(object)
    keep |= np.isin(ids, list(scenario.selection.include))
    keep &= ~np.isin(ids, list(scenario.selection.exclude))
    return keep


def placeable_share(scenario: Scenario) -> float:
    """The most of the spend S that the booked influencers can place: S is a sum of at most
    max_influencers terms, each at most max_share_per_influencer * S (below 1: S = 0)."""
    diversity = scenario.diversity
    if diversity.max_influencers is None or diversity.max_share_per_influencer is None:
        return np.inf
    return diversity.max_influencers * diversity.max_share_per_influencer


def _hint(value: str, choices: list[str], shown: dict[str, str] | None = None) -> str:
    """'; did you mean 'x'?' for the closest choice (shown as the catalog writes it), or ''."""
    close = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {(shown or {}).get(close[0], close[0])!r}?" if close else ""


def _warn(scenario: Scenario, key: str, message: str) -> None:
    """A warning located like an error: the file that set the key, and the key."""
    source = scenario.key_file(key)
    warnings.warn(f"{f'{source}: ' if source else ''}key {key}: {message}", stacklevel=4)


def _audience_problems(catalog: Catalog, scenario: Scenario) -> list[tuple[str, str]]:
    """[audience] against the catalog: each segment has an aud_ column, and no eligible row's
    audience A_i (A_ik) reaches the population N (N_k): one creator cannot reach everyone."""
    audience, problems = scenario.audience, []
    missing = [s for s in audience.segments if s not in catalog.segments]
    problems += [(f"audience.segments.{s}", f"segment '{s}' is not in the catalog (no column aud_{s}); "
                                            f"catalog segments: {', '.join(catalog.segments) or 'none'}")
                 for s in missing]
    platforms = [str(p) for p in catalog.frame["platform"].unique()]   # lower-cased on load, as view_rate's keys
    for platform in [p for p in audience.view_rate if p != "default" and p not in platforms]:  # a typo, or a
        _warn(scenario, f"audience.view_rate.{platform}",                                       # shared table
              f"'{platform}' appears nowhere in column platform: not used{_hint(platform, platforms)}")
    eligible = eligible_rows(catalog, scenario)
    ids = catalog.frame["id"].to_numpy(object)
    measures = [("audience.population", "audience A_i", catalog.audience, audience.population)]
    measures += [(f"audience.segments.{s}", f"segment audience A_ik of {s}", catalog.segment_audience(s), people)
                 for s, people in audience.segments.items() if s not in missing]
    for key, what, values, people in measures:
        for row in np.flatnonzero(eligible & (values >= people))[:MAX_REPORTED]:
            problems.append((key, f"row {row + 1} (id {ids[row]}): {what} = {values[row]:,.0f} is not below "
                                  f"the population {people:,.0f}"))
    return problems


def _column_values(catalog: Catalog, scenario: Scenario, column: str) -> list[str]:
    """Values a limit may name: those in the column (for tier: also every tier of the scheme)."""
    if column == "tier":
        return list(scenario.tier_scheme) + list(pd.unique(catalog.tiers(scenario.tier_scheme)))
    return list(catalog.frame[column].unique())


def _has_floor(scenario: Scenario) -> bool:
    """A target, a coverage floor or a count floor: something for minimize cost to meet."""
    targets, diversity = scenario.targets, scenario.diversity
    return (
        targets.engagements is not None or targets.reach is not None or targets.impressions is not None
        or bool(scenario.coverage) or diversity.min_influencers is not None or bool(diversity.min_distinct)
        or any(limit.min_count is not None for groups in scenario.limits.values() for limit in groups.values())
    )


def _locate(scenario: Scenario, key: str, first_file) -> str:
    """'key a.b: ' prefixed by the file that set it when that is not the error's file."""
    file = scenario.key_file(key)
    return (f"{file}: " if file != first_file else "") + f"key {key}: "
