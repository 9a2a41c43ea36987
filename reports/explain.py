"""Terminal tables of an Explanation (optimizer/explain.py): what loosening each binding
constraint buys, and break-even prices. User strings (scenario name, creator ids and names,
currency) print literally (`literal`)."""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.text import Text

from optimizer.explain import Explanation
from reports.formats import metric_value, money, number
from reports.terminal import Column, fitted
from reports.text import literal


def explanation_view(explanation: Explanation, width: int) -> list[RenderableType]:
    """Headline, the constraints table, the prices table (or the diagnosis of an infeasible scenario)."""
    from reports.tables import diagnosis_table   # tables dispatches here: imported late to avoid a cycle
    head = literal(explanation.scenario, "bold") + Text(f"  {explanation.status}")
    if explanation.objective is None:
        return [head + Text("\n"), diagnosis_table(explanation.result, width)]
    head += Text(f"\n{explanation.sense} {explanation.metric}: ") + Text(
        metric_value(explanation.metric, explanation.objective), style="bold") + Text(
        f"  ({explanation.seconds:,.1f} s)\n")
    return [head, constraints_table(explanation, width), prices_table(explanation, width)]


def constraints_table(explanation: Explanation, width: int) -> RenderableType:
    """Each binding constraint, its bound one step looser and the re-solved objective, most bought first."""
    items = explanation.constraints
    if not items:
        return Text("No binding constraints.\n")
    metric = explanation.metric
    columns = [
        Column("constraint", [literal(item.name) for item in items], justify="left", wrap=True),
        Column("bound", [Text(number(item.bound)) for item in items]),
        Column("looser", [Text("-" if item.relaxed_bound is None else number(item.relaxed_bound)) for item in items]),
        Column(f"{metric} then", [Text(metric_value(metric, item.relaxed_objective)) for item in items]),
        Column("change", [Text(_signed(metric, item.change)) for item in items]),
        Column("note", [literal(item.note) for item in items], justify="left",
               wrap=True, drop=1),
    ]
    return fitted("What one step looser buys (re-solved)", columns, width, box=box.SIMPLE_HEAD)


def prices_table(explanation: Explanation, width: int) -> RenderableType:
    """Each creator's price per post and the bracket of its break-even price."""
    items = explanation.prices
    if not items:
        return Text("No break-even prices asked (--prices N).\n")
    columns = [
        Column("id", [literal(item.id) for item in items], justify="left", wrap=True),
        Column("name", [literal(item.name) for item in items], justify="left", wrap=True, drop=2),
        Column("in plan", [Text("booked" if item.booked else "not booked") for item in items], justify="left"),
        Column("price", [Text(money(item.price)) for item in items]),
        Column("break-even", [Text(_bracket(item.break_even_low, item.break_even_high)) for item in items]),
        Column("solves", [Text(str(item.solves)) for item in items], drop=3),
        Column("note", [literal(item.note or _meaning(item.booked)) for item in items], justify="left", wrap=True,
               drop=1),
    ]
    title = Text("Break-even price per post (") + literal(explanation.currency) + Text(
        "): booked at the lower price, not at the higher")
    return fitted(title, columns, width, box=box.SIMPLE_HEAD)


def _signed(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    text = metric_value(metric, abs(value))
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else text)


def _bracket(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return "-"
    return f"{money(low)} - {money(high)}"


def _meaning(booked: bool) -> str:
    return "leaves the plan above this price" if booked else "enters the plan below this price"
