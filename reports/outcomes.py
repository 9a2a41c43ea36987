"""Outcome ranges of a plan (SPEC section 10) for the terminal; each renderer reads a Result or a Comparison row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.text import Text

from models.result import OutcomeRange, Outcomes, Result
from optimizer.compare import CHANCE_PREFIX, OUTCOME_FIGURES, RISK_FIGURE
from reports.formats import chance, count
from reports.terminal import Column, fitted
from reports.text import literal


def outcome_rows(outcomes: Outcomes) -> list[tuple[str, OutcomeRange | None, str]]:
    """The rows of an "Outcome ranges" block, on the terminal and in the report: label, range (None
    for a floor with a chance and no range) and the key of the floor on that figure."""
    rows = [("engagements", outcomes.engagements, "targets.engagements"), ("reach", outcomes.reach, "targets.reach")]
    rows += [(f"reach {segment}", spread, f"coverage.{segment}.min_reach")
             for segment, spread in outcomes.coverage.items()]
    if any(floor.name == "targets.impressions" for floor in outcomes.floors):   # a chance, no range
        rows.append(("impressions", None, "targets.impressions"))
    return rows


def outcome_table(result: Result, width: int) -> RenderableType | None:
    """The "Outcome ranges" block of `solve`: mean, P10, P50, P90 of engagements, reach and each
    floored segment, with the floor on that figure and the share of runs that meet it; with risk,
    the CVaR of its metric (the mean of the worst share of the runs)."""
    outcomes = result.outcomes
    if outcomes is None:
        return None
    if outcomes.skipped:
        return Text(f"Outcome ranges skipped: {outcomes.skipped}.\n")
    floors = {floor.name: floor for floor in outcomes.floors}
    rows = outcome_rows(outcomes)
    columns = [Column("figure", [literal(label) for label, _, _ in rows], justify="left", wrap=True)]
    for header, field, drop in (("mean", "mean", 1), ("P10", "p10", 0), ("P50", "p50", 2), ("P90", "p90", 0)):
        columns.append(Column(header, [Text(count(getattr(spread, field, None))) for _, spread, _ in rows], drop=drop))
    columns.append(Column("floor", [Text(count(floors[key].target) if key in floors else "") for *_, key in rows]))
    columns.append(Column("chance", [Text(chance(floors[key].chance) if key in floors else "") for *_, key in rows]))
    if (risk := outcomes.risk) is not None:
        columns.append(Column(f"CVaR {risk.cvar:.0%}", [Text(count(risk.cvar_value) if label == risk.metric else "")
                                                         for label, _, _ in rows]))
    return fitted(f"Outcome ranges ({outcomes.runs:,} runs, seed {outcomes.seed})", columns, width,
                  box=box.SIMPLE_HEAD)


def outcome_figure(figure: str, values: Sequence[Any]) -> tuple[str, list[str]] | None:
    """Label and cells of one outcome row of a comparison (None for a row that is not about outcomes)."""
    if figure.startswith(CHANCE_PREFIX):
        return f"chance {figure.removeprefix(CHANCE_PREFIX)}", [chance(value) for value in values]
    if figure == RISK_FIGURE:
        return "CVaR (risk metric)", [count(value) for value in values]
    if figure in OUTCOME_FIGURES:
        name, _, percentile = figure.rpartition("_")
        return f"{name} {percentile.upper()}", [count(value) for value in values]
    return None
