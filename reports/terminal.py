"""The terminal: where results (stdout) and messages (stderr) go, and tables that fit the screen.

Results are printed at the terminal's width (or WIDE when stdout is a pipe or a file and
COLUMNS is not set). A table too wide for it first loses its least needed columns (each column
says when it may go), then wraps its text; a number is never cut short. A reader that goes
away (`influmix solve x.toml | head -1`) ends the output quietly.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from reports.text import literal, printable_lines

WIDE = 160
"""Width of tables written to a pipe or a file, where no terminal sets one."""


def out_console(file: io.StringIO | None = None) -> Console:
    """Stdout (or a buffer): as wide as the terminal, or WIDE when it is not a terminal."""
    console = Console(file=file, highlight=False, soft_wrap=False, color_system=None if file else "auto")
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = WIDE
    return console


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def to_stdout(text: str) -> None:
    """Write `text` to stdout; a reader that has gone away ends the output without an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()


def reader_gone() -> None:
    """Send what is left of stdout to /dev/null, so that the interpreter's last flush fails silently."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


def message(text: str | Text) -> None:
    """One message line on stderr (user strings in it printed literally)."""
    err_console().print(text if isinstance(text, Text) else literal(text))


def print_error(error: Exception) -> None:
    """The located message, one `error:` line per problem."""
    for line in printable_lines(error).splitlines():
        err_console().print(Text("error: ", style="bold red") + literal(line))


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """warnings.showwarning: one `warning:` line on stderr."""
    err_console().print(Text("warning: ", style="bold yellow") + literal(message))


def rendered(renderables: Sequence[RenderableType], console: Console) -> None:
    """Print each renderable; a table wider than the screen even at its narrowest is printed whole
    (a line that wraps is better than a number cut short with an ellipsis)."""
    width = console.width
    for renderable in renderables:
        if isinstance(renderable, Table):
            console.width = max(width, _measure(renderable).minimum)
        try:
            console.print(renderable)
        finally:
            console.width = width


# --- tables that fit ---------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a fitted table. `drop`: 0 never dropped; otherwise the higher, the sooner it goes."""

    header: str | Text
    cells: list[Text] = field(default_factory=list)
    footer: str = ""
    justify: str = "right"
    drop: int = 0
    wrap: bool = False


def fitted(title: str | Text, columns: Sequence[Column], width: int, *, box, caption: str | None = None,
           footer: bool = False) -> Table:
    """The table with as many columns as fit `width` unwrapped: columns with the highest `drop` go first.
    Where even the fewest do not fit, rich wraps the text columns."""
    kept = list(columns)
    while True:
        table = _table(title, kept, box, caption, footer)
        droppable = [column.drop for column in kept if column.drop]
        if not droppable or _measure(table).maximum <= width:
            return table
        worst = max(droppable)
        kept = [column for column in kept if column.drop != worst]


def _table(title: str | Text, columns: Sequence[Column], box, caption: str | None, footer: bool) -> Table:
    table = Table(title=_text(title), title_justify="left", box=box, show_footer=footer, footer_style="bold",
                  caption=caption, caption_justify="left")
    for column in columns:
        table.add_column(_text(column.header), column.footer, justify=column.justify, no_wrap=not column.wrap,
                         min_width=None if column.wrap else _natural(column))
    for row in zip(*(column.cells for column in columns)):
        table.add_row(*row)
    return table


def _text(value: str | Text) -> Text:
    return value if isinstance(value, Text) else literal(value)


def _natural(column: Column) -> int:
    """The width of a column that must not wrap: its widest cell, header or footer."""
    return max(_text(column.header).cell_len, len(column.footer), *(cell.cell_len for cell in column.cells))


def _measure(table: Table) -> Measurement:
    """The narrowest `table` can be (text wrapped, numbers whole) and its width unwrapped."""
    console = Console(width=10_000, file=io.StringIO())
    return Measurement.get(console, console.options, table)
