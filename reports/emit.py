"""One path out for every result: render a Result, Frontier, Comparison or CatalogSummary in a
format, then deliver it to stdout or to a file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from reports import page, plots, sheets, tables
from reports.output import deliver
from reports.terminal import out_console, rendered

FORMATS = ("table", "json", "csv", "html", *plots.PLOT_FORMATS)


def emit(obj: Any, format: str, output: Path | None = None, *, top: int | None = tables.TOP) -> None:
    """Render `obj` as `format` and write it to `output` (None: stdout). Tables on a terminal are
    coloured and as wide as the screen; `top` cuts long allocations (None: every row)."""
    if format == "table" and output is None and out_console().is_terminal:
        console = out_console()
        rendered(tables.view(obj, console.width, top), console)
        return
    deliver(render(obj, format, top=top), output)


def render(obj: Any, format: str, *, top: int | None = tables.TOP) -> str | bytes:
    """`obj` in `format`: text (table, json, csv, html) or bytes (png, svg, pdf)."""
    if format == "table":
        buffer = io.StringIO()
        console = out_console(buffer)
        rendered(tables.view(obj, console.width, top), console)
        return buffer.getvalue()
    if format == "json":
        return json.dumps(obj.to_dict(), indent=2, allow_nan=False) + "\n"
    if format == "csv":
        return sheets.csv_text(obj)
    if format == "html":
        return page.html_page(obj)
    if format in plots.PLOT_FORMATS:
        return plots.frontier_plot(obj, format)
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
