"""Spreadsheet cells: the quote that keeps a text cell from running as a formula (SPEC section 12),
added when influmix writes a CSV and taken off when it reads one of its own CSVs back."""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with `'`; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unguarded(text: str) -> str:
    """A cell as it was before safe_cell (`'@anna` -> `@anna`); text safe_cell did not change stays."""
    return text[1:] if text.startswith("'") and safe_cell(text[1:]) == text else text
