"""Numbers as spreadsheets write them, read in bulk: `26,565`, `108K`, `409.8M`, `$1,080`, `3.4%`.

Accepted: thousands separators (commas between groups of three digits), a K/M/B suffix
(thousand, million, billion), a currency symbol before or after the number and, where a
column allows it, a trailing percent sign. Anything else that is not a plain number is
reported as unreadable, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
NOT_FINITE = r"(?i)^[+-]?(nan|inf|infinity)$"
CURRENCY = "$€£¥₹"
THOUSANDS = r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?\s*[kKmMbB]?$"  # not 0,034: a decimal comma
SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True)
class Parsed:
    """A column's values (NaN where empty or unreadable), its empty and unreadable cells, and
    whether any cell carried a percent sign."""

    values: np.ndarray
    empty: np.ndarray
    unreadable: np.ndarray
    percent_sign: bool = False


def parse_numbers(column: pd.Series, cells: pa.Array | None, percent: bool = False) -> Parsed:
    """Read a column in bulk; `cells` is its text (stripped, '' when missing; None for a typed
    column); `percent` allows a % sign."""
    if pd.api.types.is_bool_dtype(column):
        empty = column.isna().to_numpy()
        return Parsed(np.full(len(column), np.nan), empty, ~empty)
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return Parsed(values, np.isnan(values), np.zeros(len(column), dtype=bool))
    empty = pc.equal(cells, "")
    try:
        values = pc.cast(pc.if_else(empty, None, cells), pa.float64()).to_numpy(zero_copy_only=False)
        unreadable = np.zeros(len(cells), dtype=bool)
        return Parsed(values.astype(np.float64), empty.to_numpy(zero_copy_only=False), unreadable)
    except pa.ArrowInvalid:
        return _lenient(cells, empty, percent)


def _lenient(cells: pa.Array, empty: pa.Array, percent: bool) -> Parsed:
    """The slow path, still in bulk: strip what spreadsheets add, then read what is left."""
    signed = pc.match_substring_regex(cells, r"%$") if percent else pc.equal(cells, "\0")
    text = pc.replace_substring_regex(cells, r"\s*%$", "") if percent else cells
    text = pc.replace_substring_regex(text, rf"^([+-]?)\s*[{CURRENCY}]\s*", r"\1")
    text = pc.replace_substring_regex(text, rf"\s*[{CURRENCY}]$", "")
    text = pc.if_else(pc.match_substring_regex(text, THOUSANDS), pc.replace_substring(text, ",", ""), text)
    scale = np.ones(len(cells))
    for letter, factor in SUFFIXES.items():
        has = pc.match_substring_regex(text, rf"^[+-]?(\d+\.?\d*|\.\d+)\s*[{letter}{letter.upper()}]$")
        scale[has.to_numpy(zero_copy_only=False)] = factor
    text = pc.if_else(pc.not_equal(pa.array(scale), 1.0), pc.replace_substring_regex(text, r"\s*[kKmMbB]$", ""), text)
    readable = pc.or_(pc.match_substring_regex(text, NUMBER), pc.match_substring_regex(text, NOT_FINITE))
    values = pc.cast(pc.if_else(readable, text, None), pa.float64()).to_numpy(zero_copy_only=False)
    values = np.where(scale != 1.0, np.round(values.astype(np.float64) * scale, 6), values)
    empty = empty.to_numpy(zero_copy_only=False)
    unreadable = ~empty & ~readable.to_numpy(zero_copy_only=False)
    return Parsed(values.astype(np.float64), empty, unreadable, bool(pc.any(pc.and_(signed, readable)).as_py()))
