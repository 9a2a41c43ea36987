"""Renderers: a Result, Frontier or Comparison as a terminal table, JSON, CSV, a plot or an HTML page.

`emit(obj, format, output)` is the one way out: it renders and delivers to stdout or a file.
"""

from reports.emit import FORMATS, emit, render

__all__ = ["FORMATS", "emit", "render"]
