"""CSV for spreadsheets: a Result's allocation or a Frontier's points, rounded and formula-safe.

Money is rounded to cents, rates and shares to 6 significant digits, other figures to 6
decimals (no `45835.799999999996`). A text cell that a spreadsheet would run as a formula
(it begins with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`;
numbers, negative ones included, are left as they are (SPEC section 12).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from models.cells import safe_cell
from models.result import Result
from optimizer.sweep import Frontier

MONEY = {"spend", "budget", "cost_per_post", "fee"}
RATES = {"cpe", "cpm", "engagement_rate"}
RATE_PREFIXES = ("share_", "marginal_per_")


def csv_text(obj: Any) -> str:
    """The allocation of a Result, or one row per budget of a Frontier, as CSV text."""
    if isinstance(obj, Result):
        frame, money = obj.allocation, set(MONEY) | ({"objective"} if obj.objective.metric == "cost" else set())
    elif isinstance(obj, Frontier):
        frame, money = obj.to_frame(), set(MONEY) | ({"objective"} if obj.metric == "cost" else set())
    else:
        raise TypeError(f"no CSV for {type(obj).__name__}")
    frame = rounded(guarded(frame), money)
    text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" in text:   # a cell's carriage return: Python's CSV writer quotes it only when the line ends hold one
        text = frame.to_csv(index=False, lineterminator="\r\n")
    return text


def guarded(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that would start a formula, prefixed with a quote; header cells too (a kept
    catalog column may be named `=...`)."""
    frame = frame.copy()
    frame.columns = [safe_cell(column) for column in frame.columns]
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].map(safe_cell)
    return frame


def rounded(frame: pd.DataFrame, money: set[str]) -> pd.DataFrame:
    """Float columns rounded: money to cents, rates to 6 significant digits, the rest to 6 decimals."""
    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_float_dtype(frame[column]):
            continue
        if column in money:
            frame[column] = frame[column].round(2)
        elif column in RATES or column.startswith(RATE_PREFIXES):
            frame[column] = frame[column].map(significant)
        else:
            frame[column] = frame[column].round(6)
    return frame


def significant(value: float, digits: int = 6) -> float:
    """`value` to `digits` significant digits (NaN and 0 as they are)."""
    if not np.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
