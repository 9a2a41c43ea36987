"""Unique reach, frequency and dropouts (docs/reference.md "Audience", "Dropouts") for the terminal."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from models.result import CoverageRow, Result
from reports.formats import count, rate
from reports.terminal import Column, fitted
from reports.text import literal

LABELS = {"unique_reach": "unique reach"}
FORMATS = {"frequency": lambda value: rate(value, 2)}
"""Labels and formats of the compare rows optimizer.compare.UNIQUE_FIGURES (count where not named)."""


def audience_line(result: Result) -> Text | None:
    """The headline's line with [audience]: unique reach, impressions and frequency (None without it)."""
    totals = result.totals
    if totals.unique_reach is None:
        return None
    return Text(f"unique reach {count(totals.unique_reach)} · impressions {count(totals.impressions)} · "
                f"frequency {rate(totals.frequency, 2)}")


def floored_value(row: CoverageRow) -> float:
    """The figure a segment's floor is judged on: its worst case with dropouts, else its unique
    reach with [audience], else its reach."""
    if row.worst_case is not None:
        return row.worst_case
    return row.unique_reach if row.unique_reach is not None else row.achieved


def uses_audience(result: Result) -> bool:
    """Whether the coverage rows carry unique reach or worst cases."""
    return result.objective.reach_model == "unique" or any(row.worst_case is not None for row in result.coverage)


def audience_coverage_table(result: Result, width: int) -> Table:
    """Coverage with [audience] or dropouts: each segment's reach, unique reach and population, and
    the floor's worst case; met or short judged as the verifier judges the floor."""
    unique = result.objective.reach_model == "unique"
    rows = sorted(result.coverage, key=lambda row: row.target is None)
    judged = [floored_value(row) for row in rows]
    met = ["" if row.target is None else ("met" if value >= row.target * (1 - 1e-9) else "short")
           for row, value in zip(rows, judged)]
    columns = [
        Column("segment", [literal(row.segment) for row in rows], justify="left", wrap=True),
        Column("target", [Text(count(row.target)) for row in rows]),
        Column("reach", [Text(count(row.achieved)) for row in rows], drop=2),
        *([Column("unique", [Text(count(row.unique_reach)) for row in rows]),
           Column("population", [Text(count(row.population)) for row in rows], drop=1)] if unique else []),
        *([Column("worst case", [Text(count(row.worst_case)) for row in rows])]
          if any(row.worst_case is not None for row in rows) else []),
        Column("", [Text(word) for word in met]),
    ]
    title = "Audience coverage (" + ("unique reach in segment" if unique else "reach in segment") + ")"
    return fitted(title, columns, width, box=box.SIMPLE_HEAD)
