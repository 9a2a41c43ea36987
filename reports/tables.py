"""Terminal tables (rich) of a Result, a Comparison, a Frontier and a CatalogSummary.

Every user string goes through `literal` (no markup, no control characters); every table is
built with `fitted`, so that it fits the width it is given by dropping its least needed columns.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from models.describe import CatalogSummary
from models.result import ALLOCATION_COLUMNS, Result
from optimizer.compare import TIER_PREFIX, Comparison
from optimizer.explain import Explanation
from optimizer.sweep import Frontier
from reports.audience import FORMATS, LABELS, audience_coverage_table, audience_line, uses_audience
from reports.explain import explanation_view
from reports.formats import count, gap, metric_value, money, number, rate, share
from reports.outcomes import outcome_figure, outcome_table
from reports.terminal import Column, fitted
from reports.text import literal

TOP = 15
"""Allocation rows shown by default: the first TOP - 3, a line saying how many are left out, the last 3."""
TAIL = 3


def view(obj: Any, width: int, top: int | None = TOP) -> list[RenderableType]:
    """The table view of a Result, Comparison, Frontier, CatalogSummary or Explanation; `top` None shows every row."""
    if isinstance(obj, Result):
        return result_view(obj, width, top)
    if isinstance(obj, Comparison):
        return comparison_view(obj, width, top)
    if isinstance(obj, Frontier):
        return [frontier_table(obj, width)]
    if isinstance(obj, CatalogSummary):
        return summary_view(obj, width)
    if isinstance(obj, Explanation):
        return explanation_view(obj, width)
    raise TypeError(f"no table view for {type(obj).__name__}")


def relative(path: str | Path | None) -> str:
    """A path as a user would type it: relative to the current folder when it is below it."""
    if path is None:
        return "-"
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cut(rows: Sequence[Any], top: int | None) -> tuple[list[Any], int, list[Any]]:
    """(first rows, how many are left out, last rows): all rows when `top` is None or enough."""
    if top is None or len(rows) <= top:
        return list(rows), 0, []
    tail = TAIL if top >= 2 * TAIL else 0
    return list(rows[:top - tail]), len(rows) - top, list(rows[len(rows) - tail:])


def left_out(hidden: int, what: str) -> str | None:
    """The caption of a cut table."""
    return f"... {hidden:,} more {what} where the dots are (--all shows every row)\n" if hidden else None


def shown_names(records: Sequence[dict[str, Any]]) -> list[str] | None:
    """Names to show beside ids: None when the catalog has none (every name is its id), else '' where it is."""
    if all(row["name"] == row["id"] for row in records):
        return None
    return ["" if row["name"] == row["id"] else row["name"] for row in records]


# --- Result ------------------------------------------------------------------------------------


def result_view(result: Result, width: int, top: int | None = TOP) -> list[RenderableType]:
    """The table view of `solve`: headline, allocation, mix, coverage, binding constraints."""
    parts: list[RenderableType] = [headline(result)]
    if result.status == "infeasible":
        parts.append(diagnosis_table(result, width))
        return parts
    if result.changes is not None:
        parts.append(changes_table(result, width, top))
    parts.append(allocation_table(result, width, top))
    parts.append(Columns([mix_table(result, column, width) for column in result.groups], padding=(0, 2)))
    coverage = coverage_table(result, width)
    if coverage is not None:
        parts.append(coverage)
    outcomes = outcome_table(result, width)
    if outcomes is not None:
        parts.append(outcomes)
    parts.append(constraints_table(result, width))
    return parts


def headline(result: Result) -> Group:
    objective, totals, catalog, solver = result.objective, result.totals, result.catalog, result.solver
    style = {"optimal": "bold green", "time_limit": "bold yellow"}.get(result.status, "bold red")
    lines = [literal(result.scenario.name, "bold") + Text("  ") + Text(result.status, style=style)]
    if objective.value is not None:
        line = Text(f"{objective.sense} {objective.metric}: ") + Text(
            metric_value(objective.metric, objective.value), style="bold")
        if objective.bound is not None:
            line += Text(f"  (bound {metric_value(objective.metric, objective.bound)}, gap {gap(objective.gap)})")
        lines.append(line)
        lines.append(Text(f"spend {money(totals.spend)} ") + literal(result.scenario.currency) + Text(
            f" · {totals.influencers} influencers · {totals.posts} posts · reach {count(totals.reach)} · "
            f"engagements {count(totals.engagements)} · CPE {rate(totals.cpe)} · CPM {rate(totals.cpm, 2)}"))
        if (audience := audience_line(result)) is not None:
            lines.append(audience)
    else:
        lines.append(Text(f"{objective.sense} {objective.metric}: no plan meets every constraint"))
    lines.append(Text("catalog ", style="dim") + literal(relative(catalog.path), "dim") + Text(
        f": {catalog.rows:,} rows, {catalog.eligible:,} eligible · "
        f"{solver.name} ({solver.method}) {solver.build_seconds + solver.solve_seconds:.2f} s", style="dim"))
    return Group(*lines, Text(""))


def change_rows(result: Result) -> list[tuple[str, str, str]]:
    """(change, id, posts) against the previous plan: each creator added (its posts) or dropped,
    then each kept one whose posts changed (before -> after)."""
    changes = result.changes
    posts = {record["id"]: record["posts"] for record in result.allocation_records}
    return ([("added", ident, f"{posts.get(ident, 0)}") for ident in changes.added]
            + [("dropped", ident, "") for ident in changes.dropped]
            + [("posts", item.id, f"{item.before} -> {item.after}") for item in changes.posts_changed])


def changes_table(result: Result, width: int, top: int | None = TOP) -> RenderableType:
    """Against the previous plan: each creator added or dropped, then each kept one whose posts changed."""
    changes, rows = result.changes, change_rows(result)
    title = Text(f"Changes against the previous plan: {changes.count} added or dropped", style="bold")
    if not rows:
        return Group(title, Text("No post count changed.\n"))
    head, hidden, tail = cut(rows, top)
    shown = head + ([("...", "", "")] if hidden else []) + tail
    columns = [Column("change", [Text(kind) for kind, _, _ in shown], justify="left"),
               Column("id", [literal(ident) for _, ident, _ in shown], justify="left", wrap=True),
               Column("posts", [Text(text) for _, _, text in shown])]
    caption = left_out(hidden, "changes")
    return Group(title, fitted("", columns, width, box=box.SIMPLE_HEAD), *([Text(caption)] if caption else []))


def allocation_table(result: Result, width: int, top: int | None = TOP) -> Table:
    """Booked influencers (cut to `top` rows), with the totals as footer; narrow screens lose
    followers, then niche, reach, platform, tier and CPE, in that order."""
    totals, currency = result.totals, result.scenario.currency
    records = result.allocation_records
    names = shown_names(records)
    head, hidden, tail = cut(list(zip(records, names or [""] * len(records))), top)
    columns = [
        Column("id", footer="total", justify="left"),
        *([Column("name", justify="left", wrap=True, drop=1)] if names is not None else []),
        Column("platform", justify="left", drop=4), Column("tier", justify="left", drop=3),
        Column("niche", justify="left", drop=6), Column("followers", drop=7),
        Column("posts", footer=str(totals.posts)), Column(f"spend ({currency})", footer=money(totals.spend)),
        Column("reach", footer=count(totals.reach), drop=5), Column("engagements", footer=count(totals.engagements)),
        Column("CPE", footer=rate(totals.cpe), drop=2),
    ]
    by_header = {column.header: column for column in columns}
    kept = [key for key in records[0] if key not in ALLOCATION_COLUMNS] if records else []   # keep_columns
    kept_columns = [Column(literal(key), justify="left", wrap=True, drop=8 + len(kept) - k)   # narrow: go first
                    for k, key in enumerate(kept)]

    def add(row: dict[str, Any], name: str) -> None:
        cells = {"id": literal(row["id"]), "name": literal(name), "platform": literal(row["platform"]),
                 "tier": literal(row["tier"]), "niche": literal(row["niche"]),
                 "followers": Text(count(row["followers"])), "posts": Text(str(row["posts"])),
                 f"spend ({currency})": Text(money(row["spend"])), "reach": Text(count(row["reach"])),
                 "engagements": Text(count(row["engagements"])), "CPE": Text(rate(row["cpe"]))}
        for header, column in by_header.items():
            column.cells.append(cells[header])
        for key, column in zip(kept, kept_columns):
            column.cells.append(literal(row[key] if row[key] is not None else "-"))

    for row, name in head:
        add(row, name)
    if hidden:
        for column in columns + kept_columns:
            column.cells.append(Text("..." if column.header == "id" else ""))
    for row, name in tail:
        add(row, name)
    title = f"Plan: {totals.influencers} influencers, {totals.posts} posts"
    return fitted(title, columns + kept_columns, width, box=box.SIMPLE_HEAD, footer=True,
                  caption=left_out(hidden, "influencers"))


def mix_table(result: Result, column: str, width: int) -> Table:
    currency = result.scenario.currency
    rows = sorted(result.groups[column], key=lambda row: -row.spend)
    columns = [
        Column(column, [literal(row.value) for row in rows], justify="left", wrap=True),
        Column("infl.", [Text(str(row.influencers)) for row in rows], drop=1),
        Column("posts", [Text(str(row.posts)) for row in rows], drop=2),
        Column(f"spend ({currency})", [Text(money(row.spend)) for row in rows]),
        Column("share", [Text(share(row.share)) for row in rows]),
    ]
    return fitted(f"Mix by {column}", columns, width, box=box.SIMPLE_HEAD)


def coverage_table(result: Result, width: int) -> Table | None:
    """Segments with a floor, then the rest (achieved only)."""
    if not result.coverage:
        return None
    if uses_audience(result):
        return audience_coverage_table(result, width)
    rows = sorted(result.coverage, key=lambda row: row.target is None)
    met = ["" if row.target is None else ("met" if row.achieved >= row.target * (1 - 1e-9) else "short")
           for row in rows]
    columns = [
        Column("segment", [literal(row.segment) for row in rows], justify="left", wrap=True),
        Column("target", [Text(count(row.target)) for row in rows]),
        Column("achieved", [Text(count(row.achieved)) for row in rows]),
        Column("", [Text(word) for word in met]),
    ]
    return fitted("Audience coverage (reach in segment)", columns, width, box=box.SIMPLE_HEAD)


def constraints_table(result: Result, width: int) -> RenderableType:
    """The binding constraints, each with its value (a robust floor's: after the worst dropouts)."""
    binding = [row for row in result.constraints if row.binding]
    if not binding:
        return Text("No binding constraints.\n")
    columns = [
        Column("constraint", [literal(row.name) for row in binding], justify="left", wrap=True),
        Column("value", [Text(number(row.lhs if row.worst_case is None else row.worst_case)) for row in binding]),
        Column("", [Text(row.sense) for row in binding], justify="left"),
        Column("bound", [Text(number(row.rhs)) for row in binding]),
    ]
    return fitted("Binding constraints", columns, width, box=box.SIMPLE_HEAD)


def diagnosis_items(result: Result) -> tuple[list[dict[str, Any]], list[str]]:
    """The diagnosis entries as dicts, and their fields other than the message."""
    items = [dataclasses.asdict(item) for item in result.diagnosis]
    return items, list(dict.fromkeys(key for item in items for key in item if key != "message"))


def diagnosis_table(result: Result, width: int) -> RenderableType:
    """Whatever the diagnosis holds: its message first, any other fields after it."""
    if not result.diagnosis:
        return Text("No diagnosis available.\n")
    items, extra = diagnosis_items(result)
    columns = [Column("message", [literal(item["message"]) for item in items], justify="left", wrap=True)]
    columns += [Column(key.replace("_", " "), [literal(plain_cell(item.get(key))) for item in items],
                       drop=1 + k) for k, key in enumerate(extra)]
    return fitted("Diagnosis: what to relax", columns, width, box=box.SIMPLE_HEAD)


def plain_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# --- Comparison, Frontier, CatalogSummary -------------------------------------------------------


def comparison_view(comparison: Comparison, width: int, top: int | None = TOP) -> list[RenderableType]:
    """Key figures side by side, then who is booked in some plans but not all."""
    rows = figure_rows(comparison)
    columns = [Column("", [literal(label) for label, _ in rows], justify="left")]
    columns += [Column(name, [Text(cells[k]) for _, cells in rows]) for k, name in enumerate(comparison.names)]
    parts: list[RenderableType] = [fitted("Key figures", columns, width, box=box.SIMPLE_HEAD)]
    if comparison.membership:
        parts.append(membership_table(comparison, width, top))
    else:
        parts.append(Text("Every plan books the same influencers."))
    return parts


def figure_rows(comparison: Comparison) -> list[tuple[str, list[str]]]:
    """The key figures of a comparison as (label, one formatted cell per plan)."""
    results = comparison.results
    currencies = {result.scenario.currency for result in results}
    unit = f" ({currencies.pop()})" if len(currencies) == 1 else ""
    labels = {"spend": f"spend{unit}", "cpe": "CPE", "cpm": "CPM", "objective": "objective value", **LABELS}
    formats = {"spend": money, "cpe": rate, "cpm": lambda v: rate(v, 2), **FORMATS}
    rows: list[tuple[str, list[str]]] = []
    for figure, row in comparison.figures.iterrows():
        if figure.startswith(TIER_PREFIX):
            rows.append((f"share {figure.removeprefix(TIER_PREFIX)}", [share(value) for value in row]))
        elif figure == "objective":
            rows.append((labels[figure], [metric_value(result.objective.metric, value)
                                          for result, value in zip(results, row)]))
        elif (outcome := outcome_figure(figure, row)) is not None:
            rows.append(outcome)
        elif figure in ("status", "metric"):
            rows.append((figure, [str(value) for value in row]))
        else:
            rows.append((labels.get(figure, figure), [formats.get(figure, count)(value) for value in row]))
    return rows


def membership_table(comparison: Comparison, width: int, top: int | None) -> Table:
    posts = {(name, row["id"]): row for name, result in zip(comparison.names, comparison.results)
             for row in result.allocation_records}
    ids = list(comparison.membership)
    firsts = [posts[(comparison.membership[id_][0], id_)] for id_ in ids]
    names = shown_names(firsts)
    head, hidden, tail = cut(list(zip(ids, firsts, names or [""] * len(ids))), top)
    columns = [Column("id", justify="left"),
               *([Column("name", justify="left", wrap=True, drop=2)] if names is not None else []),
               Column("tier", justify="left", drop=1)]
    plans = [Column(name) for name in comparison.names]

    def add(id_: str, first: dict[str, Any], name: str) -> None:
        cells = [literal(id_)] + ([literal(name)] if names is not None else []) + [literal(first["tier"])]
        for column, cell in zip(columns, cells):
            column.cells.append(cell)
        for plan, column in zip(comparison.names, plans):
            column.cells.append(Text(str(posts[(plan, id_)]["posts"]) if (plan, id_) in posts else "-"))

    for item in head:
        add(*item)
    if hidden:
        for column in columns + plans:
            column.cells.append(Text("..." if column is columns[0] else ""))
    for item in tail:
        add(*item)
    title = f"In some plans, not all ({len(ids)} influencers; cells: posts)"
    return fitted(title, columns + plans, width, box=box.SIMPLE_HEAD, caption=left_out(hidden, "influencers"))


def frontier_table(frontier: Frontier, width: int) -> Table:
    """One row per budget: the objective first, then the figures that are not the objective, then the
    tier mix (tiers never booked are left out; narrow screens lose the mix, then reach and CPE)."""
    points = frontier.points
    axis = "budget" if frontier.key == "budget.max" else frontier.key
    objective_figure = {"cost": "spend"}.get(frontier.metric, frontier.metric)
    objective_label = frontier.metric
    if frontier.unique and frontier.metric == "reach":     # the objective is unique reach: gross reach stays
        objective_figure, objective_label = "unique_reach", LABELS["unique_reach"]
    shown = (("spend", money), ("engagements", count), ("reach", count)) + (
        (("unique_reach", count),) if frontier.unique else ())
    figures = [(key, form) for key, form in shown if key != objective_figure]
    columns = [
        Column(axis, [Text(count(p.value) if axis == "budget" else f"{p.value:,.6g}") for p in points]),
        Column("status", [Text(p.status) for p in points], justify="left"),
        Column(objective_label, [Text(metric_value(frontier.metric, p.objective)) for p in points]),
        Column(f"per extra {frontier.marginal_per:,g}", [Text(rate(p.marginal, 1)) for p in points], drop=2),
        *(Column(LABELS.get(key, key), [Text(form(getattr(p, key))) for p in points], drop=3 if key == "reach" else 0)
          for key, form in figures),
        Column("infl.", [Text(count(p.influencers)) for p in points]),
        Column("CPE", [Text(rate(p.cpe)) for p in points], drop=3),
    ]
    booked = [tier for tier in frontier.tiers if any(p.tier_shares.get(tier, 0.0) > 0 for p in points)]
    columns += [Column(tier, [Text(share(p.tier_shares.get(tier, 0.0)) if p.has_plan else "-") for p in points],
                       drop=4) for tier in booked]
    title = literal(frontier.scenario) + Text(f": {frontier.sense} {frontier.metric} by {axis}")
    if frontier.in_money:
        title += Text(" (") + literal(frontier.currency) + Text(")")
    table = fitted(title, columns, width, box=box.SIMPLE_HEAD)
    if any(str(column.header) in booked for column in table.columns):    # headers are rich Texts
        table.caption = "tier columns: share of spend"
    return table


def summary_view(summary: CatalogSummary, width: int) -> list[RenderableType]:
    lines = literal(relative(summary.source)) + Text(f": {summary.rows:,} influencers; segments: ") + literal(
        ", ".join(summary.segments) or "none") + Text("\n")
    lines += Text("tiers (lower bound of followers): ") + literal(
        ", ".join(f"{tier} {bound:,.0f}" for tier, bound in summary.tiers.items())) + Text("\n")
    overall = summary.overall
    lines += Text(f"medians: followers {count(overall['followers'])}, engagement rate "
                  f"{share(overall['engagement_rate'])}, cost per post {money(overall['cost_per_post'])}, "
                  f"CPE {rate(overall['cpe'])}\n")
    parts: list[RenderableType] = [lines]
    for grouping, frame in summary.groups.items():
        rows = list(frame.iterrows())
        columns = [
            Column(grouping, [literal(value) for value, _ in rows], justify="left", wrap=True),
            Column("influencers", [Text(count(row["influencers"])) for _, row in rows]),
            Column("share", [Text(share(row["share"])) for _, row in rows], drop=3),
            Column("median followers", [Text(count(row["followers"])) for _, row in rows], drop=2),
            Column("median eng. rate", [Text(share(row["engagement_rate"])) for _, row in rows]),
            Column("median cost/post", [Text(money(row["cost_per_post"])) for _, row in rows], drop=1),
            Column("median CPE", [Text(rate(row["cpe"])) for _, row in rows]),
        ]
        parts.append(fitted(f"By {grouping}", columns, width, box=box.SIMPLE_HEAD))
    return parts
