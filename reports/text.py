"""User strings (catalog ids, names, niches, scenario names) made safe to show.

A catalog is user data: on a terminal its text must print literally (no rich markup such as
`[/bold]` or `[link=...]`, no escape sequence such as `\\x1b[2J`), in a spreadsheet it must not
run as a formula (see reports.sheets), in a page it must not become HTML (see reports.page).
"""

from __future__ import annotations

import re

from rich.text import Text

UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0 but tab and newline, DEL, C1) and the bidirectional overrides that reorder text."""
BREAKS = re.compile("[\t\n]")


def printable(value: object) -> str:
    """`value` as text with every control character removed; tabs and newlines become spaces."""
    return BREAKS.sub(" ", UNPRINTABLE.sub("", str(value)))


def printable_lines(value: object) -> str:
    """Like printable, but newlines kept (a multi-line message)."""
    return UNPRINTABLE.sub("", str(value)).replace("\t", " ")


def literal(value: object, style: str = "") -> Text:
    """A rich Text that shows `value` as it is: markup is not interpreted, control characters are gone."""
    return Text(printable(value), style=style)
