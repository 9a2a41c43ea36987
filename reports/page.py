"""The shareable report: one self-contained HTML page of a Result or of a Comparison.

Everything is inline (CSS, a small sort script, SVG charts drawn here), and the page's own
Content-Security-Policy forbids every request (`default-src 'none'`; the script is allowed by
its hash), so it reads the same offline and sends nothing anywhere. It prints on A4. Every
catalog or scenario string goes through `esc` (HTML-escaped, control characters removed).

A plan's page is a list of sections (`PLAN_SECTIONS`), each a function of the Result that
returns HTML or "" when it has nothing to show: a new figure (unique reach, SPEC section 8)
is one more function in that list.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Sequence
from typing import Any

from models.result import ALLOCATION_COLUMNS, Result
from optimizer.compare import TIER_PREFIX, Comparison
from reports.audience import floored_value
from reports.formats import chance, count, gap, metric_value, money, number, rate, share
from reports.outcomes import outcome_rows
from reports.tables import change_rows, diagnosis_items, figure_rows, plain_cell, relative, shown_names
from reports.text import printable

PALETTE = ("#1f5fa8", "#e07b39", "#3a9b5c", "#b5446e", "#7a5cc2", "#c9a227", "#2b9fb3", "#8c6d4f", "#5f6b7a")

STYLE = """
:root { --ink: #1d2330; --muted: #5f6b7a; --line: #d8dde5; --accent: #1f5fa8; --bad: #b3261e; --good: #23794a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 28px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note { color: var(--muted); font-size: 12px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff;
          vertical-align: middle; background: var(--bad); }
.status.optimal { background: var(--good); } .status.time_limit { background: #b7791f; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { color: var(--muted); font-size: 12px; } .card .value { font-size: 18px; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
td.text, th.text { text-align: left; white-space: normal; }
tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
.met { color: var(--good); } .short { color: var(--bad); }
section.plan { border-top: 3px solid var(--accent); margin-top: 28px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10px; }
  section.plan { break-before: page; border-top: none; }
  h2, h3, .cards, figure, tr { break-inside: avoid; break-after: avoid-page; }
  table.sortable th::after { content: none; }
}
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.tabIndex = 0;
    th.title = "sort";
    var sort = function () {
      var body = table.tBodies[0];
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var key = function (row) {
        var cell = row.cells[column];
        return cell.dataset.value !== undefined ? Number(cell.dataset.value) : cell.textContent;
      };
      var rows = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
  });
});
"""


def policy() -> str:
    """The page's Content-Security-Policy: no request of any kind; inline CSS; only our script."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


def esc(value: object) -> str:
    """User text for HTML: control characters removed, then escaped (quotes too)."""
    return html.escape(printable(value), quote=True)


def html_page(obj: Any) -> str:
    """The report of a Result (one plan) or a Comparison (several plans side by side, then each plan)."""
    if isinstance(obj, Result):
        title, body = obj.scenario.name, plan_section(obj, heading="h1")
    elif isinstance(obj, Comparison):
        title = " vs ".join(obj.names)
        body = comparison_section(obj) + "".join(
            f'<section class="plan">{plan_section(result, name=name)}</section>'
            for name, result in zip(obj.names, obj.results))
    else:
        raise TypeError(f"no HTML report for {type(obj).__name__}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{policy()}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>influmix: {esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            f'<p class="meta">Made by influmix. Every figure is recomputed from the allocation and the catalog; '
            f"the plan was checked against every constraint.</p>\n"
            f"<script>{SCRIPT}</script>\n</body></html>\n")


# --- one plan --------------------------------------------------------------------------------------


def plan_section(result: Result, *, name: str | None = None, heading: str = "h2") -> str:
    """The plan's title, then each section of PLAN_SECTIONS that has something to show."""
    label = result.status.replace("_", " ")
    title = (f'<{heading}>{esc(name or result.scenario.name)} '
             f'<span class="status {esc(result.status)}">{esc(label)}</span></{heading}>')
    catalog, solver = result.catalog, result.solver
    meta = (f'<p class="meta">catalog {esc(relative(catalog.path))}: {catalog.rows:,} rows, '
            f"{catalog.eligible:,} eligible · scenario {esc(relative(result.scenario.path))} · "
            f"{esc(solver.name)} ({esc(solver.method)}) {solver.build_seconds + solver.solve_seconds:.2f} s</p>")
    return title + meta + "".join(section(result) for section in PLAN_SECTIONS)


def key_figures(result: Result) -> str:
    objective, totals = result.objective, result.totals
    if objective.value is None:
        return f"<p><strong>{esc(objective.sense)} {esc(objective.metric)}: no plan meets every constraint.</strong></p>"
    bound = (f"bound {metric_value(objective.metric, objective.bound)}, gap {gap(objective.gap)}"
             if objective.bound is not None else "")
    cards = [
        (f"{objective.sense} {objective.metric.replace('_', ' ')}", metric_value(objective.metric, objective.value),
         bound),
        (f"spend ({result.scenario.currency})", money(totals.spend), ""), ("influencers", count(totals.influencers), ""),
        ("posts", count(totals.posts), ""), ("reach", count(totals.reach), "gross"),
        ("engagements", count(totals.engagements), ""), ("CPE", rate(totals.cpe), "cost per engagement"),
        ("CPM", rate(totals.cpm, 2), "cost per 1,000 reached"),
    ]
    if totals.unique_reach is not None:
        cards += [("unique reach", count(totals.unique_reach), "people reached"),
                  ("impressions", count(totals.impressions), "posts seen"),
                  ("frequency", rate(totals.frequency, 2), "impressions per person reached")]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="meta">{esc(note)}</div></div>' for label, value, note in cards) + "</div>"


def mix_charts(result: Result) -> str:
    if result.objective.value is None:
        return ""
    charts = [bar_chart(f"Spend by {column}",
                        [(row.value, row.share, f"{share(row.share)} · {row.influencers} infl.")
                         for row in sorted(rows, key=lambda row: -row.spend)], max(row.share for row in rows))
              for column, rows in result.groups.items() if rows]
    return '<h3>Mix: share of spend</h3><div class="charts">' + "".join(charts) + "</div>"


def coverage_section(result: Result) -> str:
    """Each segment's floored figure (reach; unique reach with [audience]; the worst case with
    dropouts) against its floor, floored segments first."""
    if result.objective.value is None or not result.coverage:
        return ""
    rows = sorted(result.coverage, key=lambda row: row.target is None)
    judged = [floored_value(row) for row in rows]
    extra = [(label, field) for label, field in (("unique reach", "unique_reach"), ("population", "population"),
                                                 ("worst case", "worst_case"))
             if any(getattr(row, field) is not None for row in rows)]
    top = max(judged + [row.target or 0 for row in rows] + [1])
    measure = ("worst case" if any(row.worst_case is not None for row in rows)
               else "unique reach" if any(row.unique_reach is not None for row in rows) else "reach")
    chart = bar_chart(f"{measure.capitalize()} in segment (line: target)",
                      [(row.segment, value / top, count(value)) for row, value in zip(rows, judged)], 1.0,
                      markers=[None if row.target is None else row.target / top for row in rows], width=460)
    body = "".join(
        f'<tr><td class="text">{esc(row.segment)}</td><td data-value="{sort_value(row.target)}">{count(row.target)}</td>'
        f'<td data-value="{row.achieved}">{count(row.achieved)}</td>'
        + "".join(f'<td data-value="{sort_value(getattr(row, field))}">{count(getattr(row, field))}</td>'
                  for _, field in extra)
        + f'<td class="text">{met(row.target, value)}</td></tr>'
        for row, value in zip(rows, judged))
    table = ('<table class="sortable"><thead><tr><th class="text">segment</th><th>target</th><th>reach</th>'
             + "".join(f"<th>{label}</th>" for label, _ in extra)
             + f'<th class="text"></th></tr></thead><tbody>{body}</tbody></table>')
    return f'<h3>Audience coverage</h3><div class="charts">{chart}{table}</div>'


def met(target: float | None, value: float) -> str:
    if target is None:
        return ""
    return '<span class="met">met</span>' if value >= target * (1 - 1e-9) else '<span class="short">short</span>'


def changes_section(result: Result) -> str:
    """Against the previous plan of `solve --previous`: who was added or dropped, whose posts changed."""
    changes = result.changes
    if changes is None:
        return ""
    rows = change_rows(result)
    body = "".join(f'<tr><td class="text">{kind}</td><td class="text">{esc(ident)}</td><td>{esc(text)}</td></tr>'
                   for kind, ident, text in rows)
    return (f"<h3>Changes against the previous plan: {changes.count} added or dropped</h3>"
            + ('<table><thead><tr><th class="text">change</th><th class="text">id</th><th>posts</th></tr></thead>'
               f"<tbody>{body}</tbody></table>" if rows else '<p class="note">No post count changed.</p>'))


def outcome_ranges(result: Result) -> str:
    """Simulated outcomes (SPEC section 10), where the scenario asked for them."""
    outcomes = result.outcomes
    if outcomes is None:
        return ""
    if outcomes.skipped:
        return f'<h3>Outcome ranges</h3><p class="note">Skipped: {esc(outcomes.skipped)}.</p>'
    floors = {floor.name: floor for floor in outcomes.floors}
    rows = outcome_rows(outcomes)
    body = "".join(
        f'<tr><td class="text">{esc(label)}</td>'
        + "".join(f"<td>{count(getattr(spread, key, None))}</td>" for key in ("mean", "p10", "p50", "p90"))
        + f"<td>{count(floors[floor].target) if floor in floors else ''}</td>"
        + f"<td>{chance(floors[floor].chance) if floor in floors else ''}</td></tr>"
        for label, spread, floor in rows)
    risk = outcomes.risk
    cvar = ("" if risk is None else
            f'<p class="note">Risk objective: the mean of the worst {risk.cvar:.0%} of the runs (CVaR) of '
            f"{esc(risk.metric)} is {count(risk.cvar_value)}, its mean {count(risk.mean)}.</p>")
    return (f"<h3>Outcome ranges ({outcomes.runs:,} runs, seed {outcomes.seed})</h3>"
            '<table><thead><tr><th class="text">figure</th><th>mean</th><th>P10</th><th>P50</th><th>P90</th>'
            f"<th>floor</th><th>chance</th></tr></thead><tbody>{body}</tbody></table>{cvar}")


def binding_constraints(result: Result) -> str:
    binding = [row for row in result.constraints if row.binding]
    if result.objective.value is None:
        return ""
    if not binding:
        return "<h3>Binding constraints</h3><p>None: no constraint holds the plan back.</p>"
    body = "".join(f'<tr><td class="text">{esc(row.name)}</td><td>{number(row.lhs)}</td>'
                   f'<td class="text">{esc(row.sense)}</td><td>{number(row.rhs)}</td></tr>' for row in binding)
    return ("<h3>Binding constraints</h3><p class=\"note\">The constraints that hold the plan back: relaxing one "
            "of them is what would improve the objective.</p><table><thead><tr><th class=\"text\">constraint</th>"
            f'<th>value</th><th class="text"></th><th>bound</th></tr></thead><tbody>{body}</tbody></table>')


def diagnosis(result: Result) -> str:
    if result.status != "infeasible":
        return ""
    if not result.diagnosis:
        return "<h3>Diagnosis</h3><p>No diagnosis available.</p>"
    items, extra = diagnosis_items(result)
    head = '<th class="text">what to relax</th>' + "".join(f"<th>{esc(key.replace('_', ' '))}</th>" for key in extra)
    body = "".join('<tr><td class="text">' + esc(item["message"]) + "</td>"
                   + "".join(f"<td>{esc(plain_cell(item.get(key)))}</td>" for key in extra) + "</tr>"
                   for item in items)
    return (f"<h3>Diagnosis: no plan meets every constraint</h3>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


ALLOCATION = (("id", "text", None), ("name", "text", None), ("platform", "text", None), ("tier", "text", None),
              ("niche", "text", None), ("followers", "number", count), ("posts", "number", str),
              ("spend", "number", money), ("reach", "number", count), ("engagements", "number", count),
              ("cpe", "number", rate))


def allocation(result: Result) -> str:
    """Every booked influencer, sortable by any column (click a header)."""
    records = result.allocation_records
    if not records:
        return ""
    totals = result.totals
    columns = [column for column in ALLOCATION if column[0] != "name" or shown_names(records) is not None]
    kept = [(key, "text", None) for key in records[0] if key not in ALLOCATION_COLUMNS]  # keep_columns
    columns += kept
    head = "".join(f'<th class="{"text" if kind == "text" else ""}">{header_of(key, result)}</th>'
                   for key, kind, _ in columns)
    body = "".join("<tr>" + "".join(
        f'<td class="text">{esc(row[key])}</td>' if kind == "text"
        else f'<td data-value="{sort_value(row[key])}">{form(row[key])}</td>' for key, kind, form in columns) + "</tr>"
        for row in records)
    foot = (f'<tr><td class="text">total</td><td colspan="{len(columns) - len(kept) - 7}"></td><td>{totals.posts}</td>'
            f"<td>{money(totals.spend)}</td><td>{count(totals.reach)}</td><td>{count(totals.engagements)}</td>"
            f"<td>{rate(totals.cpe)}</td>{'<td></td>' * len(kept)}</tr>")
    return (f"<h3>Allocation: {totals.influencers} influencers, {totals.posts} posts</h3>"
            '<p class="note">Click a column header to sort.</p>'
            f'<table class="sortable allocation"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"<tfoot>{foot}</tfoot></table>")


def sort_value(value: float | None) -> str:
    """A number for the sort script (a missing one sorts first)."""
    return "-Infinity" if value is None or value != value else repr(float(value))


def header_of(key: str, result: Result) -> str:
    return {"spend": f"spend ({esc(result.scenario.currency)})", "cpe": "CPE"}.get(key, key)


PLAN_SECTIONS: tuple[Callable[[Result], str], ...] = (
    key_figures, diagnosis, changes_section, mix_charts, coverage_section, outcome_ranges, binding_constraints,
    allocation,
)
"""The sections of a plan, in page order; each returns "" when it has nothing to show."""


# --- several plans -----------------------------------------------------------------------------------


def comparison_section(comparison: Comparison) -> str:
    """Key figures side by side, the tier mix of each plan, and who is booked in some plans only."""
    head = "<th></th>" + "".join(f"<th>{esc(name)}</th>" for name in comparison.names)
    body = "".join(f'<tr><td class="text">{esc(label)}</td>' + "".join(f"<td>{esc(cell)}</td>" for cell in cells)
                   + "</tr>" for label, cells in figure_rows(comparison))
    figures = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return (f"<h1>{len(comparison.names)} plans side by side</h1>"
            f"<h2>Key figures</h2>{figures}{tier_mix_chart(comparison)}{membership(comparison)}")


def tier_mix_chart(comparison: Comparison) -> str:
    plans = [(name, {row.value: row.share for row in result.groups["tier"]})
             for name, result in zip(comparison.names, comparison.results)]
    tiers = [figure.removeprefix(TIER_PREFIX) for figure in comparison.figures.index if figure.startswith(TIER_PREFIX)
             and any(figure.removeprefix(TIER_PREFIX) in shares for _, shares in plans)]   # booked somewhere
    if not tiers:
        return ""
    return "<h3>Tier mix: share of spend</h3>" + stacked_chart(plans, tiers)


def membership(comparison: Comparison) -> str:
    if not comparison.membership:
        return "<p>Every plan books the same influencers.</p>"
    posts = {(name, row["id"]): row for name, result in zip(comparison.names, comparison.results)
             for row in result.allocation_records}
    firsts = {id_: posts[(plans[0], id_)] for id_, plans in comparison.membership.items()}
    named = shown_names(list(firsts.values())) is not None
    head = ('<th class="text">id</th>' + ('<th class="text">name</th>' if named else "") + '<th class="text">tier</th>'
            + "".join(f"<th>{esc(name)}</th>" for name in comparison.names))
    rows = []
    for id_, first in firsts.items():
        cells = "".join(f'<td data-value="{posts[(name, id_)]["posts"] if (name, id_) in posts else 0}">'
                        f'{posts[(name, id_)]["posts"] if (name, id_) in posts else "-"}</td>'
                        for name in comparison.names)
        name_cell = f'<td class="text">{esc(first["name"])}</td>' if named else ""
        rows.append(f'<tr><td class="text">{esc(id_)}</td>{name_cell}<td class="text">{esc(first["tier"])}</td>'
                    f"{cells}</tr>")
    return (f"<h3>In some plans, not all ({len(rows)} influencers; cells: posts)</h3>"
            f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


# --- charts (SVG) -------------------------------------------------------------------------------------


def short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def bar_chart(title: str, rows: Sequence[tuple[str, float, str]], top: float, *,
              markers: Sequence[float | None] | None = None, width: int = 330) -> str:
    """Horizontal bars: (label, value as a share of `top`, text beside the bar); `markers` draw a target line."""
    label_width, text_width, row_height = 120, 110, 20
    bar_width = width - label_width - text_width
    height = row_height * len(rows) + 8
    parts = [f'<figure><svg width="{width}" height="{height}" role="img" '
             f'aria-label="{esc(title)}"><title>{esc(title)}</title>']
    for k, (label, value, text) in enumerate(rows):
        y = 4 + k * row_height
        length = max(0.0, min(1.0, value / top if top else 0.0)) * bar_width
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end"><title>{esc(label)}</title>'
                     f"{esc(short(printable(label)))}</text>"
                     f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" '
                     f'fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{label_width + length + 4:.1f}" y="{y + 14}">{esc(text)}</text>')
        marker = markers[k] if markers else None
        if marker is not None:
            x = label_width + min(1.0, marker) * bar_width
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + row_height - 1}" '
                         'stroke="#b3261e" stroke-width="2"/>')
    parts.append(f'</svg><figcaption class="meta">{esc(title)}</figcaption></figure>')
    return "".join(parts)


def stacked_chart(plans: Sequence[tuple[str, dict[str, float]]], tiers: Sequence[str], width: int = 640) -> str:
    """One 100% bar per plan, split by tier, with a legend."""
    label_width, row_height = 160, 24
    bar_width = width - label_width - 10
    height = row_height * len(plans) + 30
    parts = [f'<figure><svg width="{width}" height="{height}" role="img" '
             'aria-label="tier mix by plan"><title>tier mix by plan</title>']
    for k, (name, shares) in enumerate(plans):
        y, x = 4 + k * row_height, float(label_width)
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{esc(short(printable(name), 24))}'
                     "</text>" + ("" if shares else f'<text x="{x + 4}" y="{y + 15}">no plan</text>'))
        for j, tier in enumerate(tiers):
            length = shares.get(tier, 0.0) * bar_width
            if length > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" '
                             f'fill="{PALETTE[j % len(PALETTE)]}"><title>{esc(tier)}: '
                             f"{share(shares[tier])}</title></rect>")
            x += length
    y = 4 + len(plans) * row_height + 14
    for j, tier in enumerate(tiers):
        x = label_width + j * 90
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{y}">{esc(short(printable(tier), 12))}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)
