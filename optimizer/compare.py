"""Plans side by side: key figures of several Results, and who is booked in some plans but not all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.result import Result
from models.tiers import DEFAULT_TIERS

FIGURES = ("status", "objective", "metric", "spend", "influencers", "posts", "reach", "engagements", "cpe", "cpm")
"""Rows of Comparison.figures, before one row `tier:<tier>` (share of spend) per tier booked anywhere."""
UNIQUE_FIGURES = ("unique_reach", "impressions", "frequency")
"""Rows after FIGURES when some plan uses [audience] (None for plans that do not)."""
TIER_PREFIX = "tier:"
OUTCOME_FIGURES = ("engagements_p10", "engagements_p50", "engagements_p90", "reach_p10", "reach_p50", "reach_p90")
"""Rows after the tiers: simulated ranges (None without outcomes), then RISK_FIGURE when some plan
has a risk objective, then one row `chance:<floor>` per floor."""
RISK_FIGURE = "cvar"
"""The CVaR of the risk objective's metric on the simulation runs (None for a plan without risk)."""
CHANCE_PREFIX = "chance:"
SCHEMA_VERSION = 1
"""Of the JSON document of a Comparison (Comparison.to_dict, docs/reference.md "Comparison")."""


@dataclass(frozen=True)
class Comparison:
    """`figures`: rows = figures, columns = plan names (None where a plan has no such figure).
    `membership`: id -> names of the plans that book it, for every id booked by some plans but not all.
    `results`: the Results compared, in the order of `names` (renderers read their allocations).
    """

    names: tuple[str, ...]
    figures: pd.DataFrame
    membership: dict[str, tuple[str, ...]]
    results: tuple[Result, ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: {schema_version, plans, figures: {figure: {plan: value}}, membership:
        {id: [plans]}}. Every figure has every plan (null where it does not apply), and the keys are
        stable: the unique-reach figures are there without [audience] too, each tier of the schemes."""
        index = [figure for figure in self.figures.index if figure not in UNIQUE_FIGURES]
        at = len(FIGURES)
        index[at:at] = UNIQUE_FIGURES
        figures = {figure: {name: _plain(self.figures.at[figure, name]) if figure in self.figures.index else None
                            for name in self.names}
                   for figure in index}
        return {"schema_version": SCHEMA_VERSION, "plans": list(self.names), "figures": figures,
                "membership": {id_: list(plans) for id_, plans in self.membership.items()}}


def compare(results: Sequence[Result], names: Sequence[str] | None = None, *,
            tiers: Sequence[str] = tuple(DEFAULT_TIERS)) -> Comparison:
    """Compare plans; `names` label them (default: each scenario's name, made unique).

    Tier rows are every tier of `tiers`, booked or not (default: the default scheme; pass the
    scenarios' `tier_scheme`s for their own), then any other tier booked, by name.
    """
    labels = _unique(list(names) if names is not None else [result.scenario.name for result in results])
    if len(labels) != len(results):
        raise ValueError(f"{len(results)} results but {len(labels)} names")
    booked = {row.value for result in results for row in result.groups["tier"]}
    tiers = list(dict.fromkeys(tiers)) + sorted(booked - set(tiers))
    floors = list(dict.fromkeys(floor.name for result in results if result.outcomes
                                for floor in result.outcomes.floors))
    unique = UNIQUE_FIGURES if any(result.objective.reach_model == "unique" for result in results) else ()
    risk = (RISK_FIGURE,) if any(result.outcomes and result.outcomes.risk for result in results) else ()
    columns = {label: _figures(result, tiers, unique) + _outcome_figures(result, floors, bool(risk))
               for label, result in zip(labels, results)}
    index = list(FIGURES) + list(unique) + [TIER_PREFIX + tier for tier in tiers] + list(OUTCOME_FIGURES) + list(risk)
    figures = pd.DataFrame(columns, index=index + [CHANCE_PREFIX + floor for floor in floors], dtype=object)
    return Comparison(tuple(labels), figures, _membership(results, labels), tuple(results))


def _figures(result: Result, tiers: list[str], unique: tuple[str, ...] = ()) -> list[Any]:
    """One plan's column of figures (with the `unique` figures of its totals); None where an
    infeasible result has no plan."""
    totals, planned = result.totals, result.status != "infeasible"
    shares = {row.value: row.share for row in result.groups["tier"]}
    values = [result.status, result.objective.value, f"{result.objective.sense} {result.objective.metric}"]
    values += [totals.spend, totals.influencers, totals.posts, totals.reach, totals.engagements, totals.cpe, totals.cpm]
    values += [getattr(totals, figure) for figure in unique]
    if not planned:
        values[3:] = [None] * (len(values) - 3)
    return values + [shares.get(tier, 0.0) if planned else None for tier in tiers]


def _outcome_figures(result: Result, floors: list[str], risk: bool) -> list[Any]:
    """P10, P50 and P90 of engagements and reach, the CVaR with risk, and the chance of each floor;
    None where not simulated."""
    outcomes = result.outcomes
    if outcomes is None or outcomes.skipped:
        return [None] * (len(OUTCOME_FIGURES) + risk + len(floors))
    chances = {floor.name: floor.chance for floor in outcomes.floors}
    ranges = [getattr(spread, field) for spread in (outcomes.engagements, outcomes.reach) for field in ("p10", "p50", "p90")]
    if risk:
        ranges.append(None if outcomes.risk is None else outcomes.risk.cvar_value)
    return ranges + [chances.get(floor) for floor in floors]


def _membership(results: Sequence[Result], labels: list[str]) -> dict[str, tuple[str, ...]]:
    booked = [set(result.allocation["id"]) for result in results]
    everyone = sorted(set().union(*booked))
    found = {id_: tuple(label for label, ids in zip(labels, booked) if id_ in ids) for id_ in everyone}
    return {id_: plans for id_, plans in found.items() if len(plans) < len(results)}


def _unique(names: list[str]) -> list[str]:
    """Names with repeats suffixed ' (2)', ' (3)', ...: the first suffix no other label has
    (names `x`, `x (2)`, `x` give `x`, `x (2)`, `x (3)`)."""
    used: set[str] = set()
    unique = []
    for name in names:
        label, k = name, 1
        while label in used:
            k += 1
            label = f"{name} ({k})"
        used.add(label)
        unique.append(label)
    return unique


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, for JSON."""
    return value.item() if hasattr(value, "item") else value
