"""How figures read in tables and pages: counts whole, money to cents, rates to three decimals."""

from __future__ import annotations


def missing(value: float | None) -> bool:
    return value is None or value != value


def count(value: float | None) -> str:
    return "-" if missing(value) else f"{value:,.0f}"


def money(value: float | None) -> str:
    return "-" if missing(value) else f"{value:,.2f}"


def rate(value: float | None, digits: int = 3) -> str:
    return "-" if missing(value) else f"{value:,.{digits}f}"


def share(value: float | None) -> str:
    return "-" if missing(value) else f"{value:.1%}"


def chance(value: float | None) -> str:
    """A share of runs to 0.1%, never rounded to a certain 100.0% or an impossible 0.0%."""
    if value is None:
        return "-"
    if 0.999 < value < 1:
        return ">99.9%"
    if 0 < value < 0.001:
        return "<0.1%"
    return f"{value:.1%}"


def gap(value: float | None) -> str:
    return "-" if missing(value) else f"{value:.3%}"


def number(value: float) -> str:
    """A figure of any size: whole above 1,000 (1,300,075), four significant digits below (0.1235)."""
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:,.4g}"


def metric_value(metric: str, value: float | None) -> str:
    """An objective value: money when the metric is cost, else a count."""
    return money(value) if metric == "cost" else count(value)
