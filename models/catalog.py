"""The catalog: one row per influencer offer, read, validated and normalized (SPEC section 2).

Every cell is checked in bulk, column by column; all problems are gathered and reported
at once, one located line each (file, row, id, column), sorted by row.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from models.errors import CatalogError
from models.tiers import derive_tiers

REQUIRED = ("id", "platform", "followers", "engagement_rate", "cost_per_post")
TEXT_COLUMNS = ("id", "name", "platform", "niche", "country", "tier")
SEGMENT_PREFIX = "aud_"
MAX_REPORTED = 20
LARGEST_WHOLE = 2**53  # beyond this a count is no longer exact as a float
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
NOT_FINITE = r"(?i)^[+-]?(nan|inf|infinity)$"
SEGMENT_TYPO = re.compile(r"aud[^a-z0-9_]+(?P<segment>.+)")


@dataclass(frozen=True)
class Number:
    """How a numeric column is checked; `default` fills an empty cell (None: the column is required)."""

    default: float | None = None
    whole: bool = False
    minimum: int = 0
    fraction: str | None = None  # "rates", "shares" or "probabilities": a value in [0, 1]
    positive: bool = False       # 0 is not allowed either


NUMBERS = {
    "followers": Number(whole=True),
    "engagement_rate": Number(fraction="rates"),
    "cost_per_post": Number(),
    "max_posts": Number(default=1, whole=True, minimum=1),
    "authenticity": Number(default=1.0, fraction="shares"),
    "engagement_sd": Number(default=np.nan),  # empty: the scenario's [simulation] default
    "delivery": Number(default=np.nan, fraction="probabilities", positive=True),
}
SIMULATION_COLUMNS = ("engagement_sd", "delivery")  # kept in the frame only when the catalog has them
SEGMENT = Number(default=0.0, fraction="shares")
COLUMNS = TEXT_COLUMNS + tuple(NUMBERS)


@dataclass(frozen=True, eq=False)
class Catalog:
    """A validated, normalized catalog; `frame` has the columns of SPEC section 2 in a fixed order."""

    frame: pd.DataFrame
    path: Path | None
    origin: str = "<DataFrame>"

    @classmethod
    def load(cls, path: str | Path) -> Catalog:
        """Read a CSV, Parquet or JSON-lines catalog; CatalogError lists every problem."""
        path = Path(path)
        return cls(normalize(read(path), str(path)), path)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "<DataFrame>") -> Catalog:
        """Validate a DataFrame like a file; `source` names it in errors."""
        return cls(normalize(frame, source), None, source)

    @property
    def source(self) -> str:
        """The file the catalog came from, or the name given to from_frame."""
        return str(self.path) if self.path is not None else self.origin

    @property
    def rows(self) -> int:
        """Number of influencer offers."""
        return len(self.frame)

    @property
    def segments(self) -> list[str]:
        """Segment names from the aud_<segment> columns, in column order."""
        return [c.removeprefix(SEGMENT_PREFIX) for c in self.frame.columns if c.startswith(SEGMENT_PREFIX)]

    @property
    def audience(self) -> np.ndarray:
        """A_i = followers_i * authenticity_i."""
        return self.frame["followers"].to_numpy(dtype=np.float64) * self.frame["authenticity"].to_numpy()

    @property
    def engagements_per_post(self) -> np.ndarray:
        """E_i = followers_i * engagement_rate_i."""
        return self.frame["followers"].to_numpy(dtype=np.float64) * self.frame["engagement_rate"].to_numpy()

    def segment_audience(self, segment: str) -> np.ndarray:
        """A_ik = A_i * aud_k,i."""
        column = SEGMENT_PREFIX + segment
        if column not in self.frame.columns:
            raise CatalogError(self.source, f"no column {column!r}; segments: {', '.join(self.segments) or 'none'}")
        return self.audience * self.frame[column].to_numpy()

    def tiers(self, scheme: Mapping[str, float]) -> np.ndarray:
        """The catalog's tier cell where it has one, else the tier derived from followers."""
        given = self.frame["tier"].to_numpy(dtype=object)
        derived = derive_tiers(self.frame["followers"].to_numpy(), scheme)
        return np.where(given != "", given, derived).astype(object)


# -- reading ---------------------------------------------------------------------------------


def read(path: Path) -> pd.DataFrame:
    """The raw cells of a catalog file, chosen by suffix; any failure is a CatalogError."""
    if not path.exists():
        raise CatalogError(path, "file not found")
    if path.is_dir():
        raise CatalogError(path, "is a directory, not a catalog file")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise CatalogError(path, f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                                 f"use one of {', '.join(READERS)}")
    try:
        return reader(path)
    except OSError as error:
        raise CatalogError(path, f"cannot read the file ({error.strerror or error})") from error
    except (pa.ArrowException, ValueError) as error:
        raise CatalogError(path, f"cannot read the file: {_first_line(error)}") from error


def read_text(path: Path) -> bytes:
    """The file's bytes without a UTF-8 byte-order mark, after checking that they are UTF-8 text."""
    data = path.read_bytes()
    if b"\0" in data:
        raise CatalogError(path, "is a binary file, not UTF-8 text (it contains NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CatalogError(path, f"line {line}: not UTF-8 text (byte {data[error.start]:#04x}); "
                                 "save the file as UTF-8") from error
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        raise CatalogError(path, "the file is empty")
    return data


def read_csv(path: Path) -> pd.DataFrame:
    """Every cell as text (ids like 0017 stay as written); the header row names the columns."""
    data = read_text(path)
    width = io.BytesIO(data).readline().count(b",") + 1
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        raise CatalogError(path, _ragged_row(data) or f"cannot parse the CSV: {_first_line(error)}") from error
    header = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    frame = table.slice(1).to_pandas()
    frame.columns = header
    return frame


def _ragged_row(data: bytes) -> str | None:
    """The first data row whose cell count differs from the header's (error path only)."""
    records = (record for record in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) if record)
    try:
        header = next(records, [])
        for row, record in enumerate(records, start=1):
            if len(record) != len(header):
                return f"row {row}: has {len(record)} cells, the header has {len(header)}"
    except csv.Error:
        return None
    return None


def read_parquet(path: Path) -> pd.DataFrame:
    """The columns of a Parquet file, typed as stored."""
    return pd.read_parquet(path)


def read_json_lines(path: Path) -> pd.DataFrame:
    """One JSON object per line; columns whose type varies from line to line are read as objects."""
    data = read_text(path)
    try:
        return pa_json.read_json(io.BytesIO(data)).to_pandas()
    except pa.ArrowInvalid:
        return pd.DataFrame.from_records(_json_records(path, data.decode("utf-8")))


def _json_records(path: Path, text: str) -> list[dict]:
    """Each non-blank line parsed as a JSON object; the first bad line is reported."""
    records = []
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            record = json.loads(content)
        except ValueError as error:
            raise CatalogError(path, f"line {line}: not valid JSON ({error})") from error
        if not isinstance(record, dict):
            raise CatalogError(path, f"line {line}: expected one JSON object per line (JSON lines), "
                                     f"found {type(record).__name__}")
        records.append(record)
    return records


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".pq": read_parquet,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".json": read_json_lines,
}


def _first_line(error: BaseException) -> str:
    """The first line of an exception's message, kept short."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


# -- problems ----------------------------------------------------------------------------


class Problems:
    """Located problems, gathered column by column in bulk and reported row by row.

    Only the reported rows are formatted, so a catalog with 100,000 bad cells costs no more
    than one with 20.
    """

    def __init__(self, ids: np.ndarray | None):
        self.ids = ids
        self.general: list[str] = []
        self.located: list[tuple[np.ndarray, str, Callable[[int], str]]] = []

    def add(self, rows: np.ndarray, where: str, describe: Callable[[int], str]) -> None:
        """One problem for each row in the boolean mask `rows`; `describe(i)` words it."""
        found = np.flatnonzero(rows)
        if found.size:
            self.located.append((found, where, describe))

    def __bool__(self) -> bool:
        return bool(self.general or self.located)

    def lines(self) -> list[str]:
        """Whole-file problems, then the located ones by row, capped at MAX_REPORTED lines."""
        total = len(self.general) + sum(len(rows) for rows, _, _ in self.located)
        shown = self.general[:MAX_REPORTED] + self._by_row(MAX_REPORTED - len(self.general))
        if total > len(shown):
            more = total - len(shown)
            shown.append(f"... and {more} more problem{'s' if more > 1 else ''}")
        return shown

    def _by_row(self, limit: int) -> list[str]:
        """The first `limit` located problems in row order (ties keep column order)."""
        if limit <= 0 or not self.located:
            return []
        rows = np.concatenate([found for found, _, _ in self.located])
        kinds = np.concatenate([np.full(len(found), k) for k, (found, _, _) in enumerate(self.located)])
        order = np.lexsort((kinds, rows))[:limit]
        return [self._line(int(rows[i]), *self.located[kinds[i]][1:]) for i in order]

    def _line(self, row: int, where: str, describe: Callable[[int], str]) -> str:
        """`row 7 (id 'c7'), column x: ...`: rows count from 1, the header not counted."""
        label = f"row {row + 1}"
        if self.ids is not None and self.ids[row]:
            label += f" (id {self.ids[row]!r})"
        return f"{label}, {where}: {describe(row)}"


# -- validation and normalization --------------------------------------------------------


def normalize(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """The normalized frame of SPEC section 2, or a CatalogError naming every problem."""
    try:
        return validate(raw, source)
    except UnicodeEncodeError as error:
        bad = error.object[error.start:error.end]
        raise CatalogError(source, f"text that is not valid Unicode ({bad!r}: {error.reason})") from error


def validate(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check every column and cell; the normalized frame when all pass."""
    names = [str(name).strip().lower() for name in raw.columns]
    first = {name: names.index(name) for name in dict.fromkeys(names)}
    cells = {name: raw.iloc[:, i] for name, i in first.items() if name in COLUMNS or is_segment(name)}
    texts = {name: text(cells[name]) for name in TEXT_COLUMNS if name in cells}
    problems = Problems(texts["id"].to_numpy(dtype=object) if "id" in texts else None)
    problems.general += column_problems(names)
    if not len(raw):
        problems.general.append("the catalog has no rows")
        raise CatalogError(source, problems.lines())
    check_required_text(texts, problems)
    checked = {name: check_number(name, cells[name], NUMBERS.get(name, SEGMENT), problems)
               for name in cells if name in NUMBERS or is_segment(name)}
    check_share_sums({name: checked[name] for name in checked if is_segment(name)}, problems)
    if problems:
        raise CatalogError(source, problems.lines())
    return assemble(texts, {name: values for name, (values, _) in checked.items()}, len(raw))


def check_required_text(texts: dict[str, pd.Series], problems: Problems) -> None:
    """Every id and platform is given, and each id once."""
    for name in ("id", "platform"):
        if name in texts:
            problems.add(texts[name].to_numpy() == "", f"column {name}", lambda i, n=name: f"empty; {n} is required")
    if problems.ids is not None:
        check_unique(problems.ids, problems)


def is_segment(name: str) -> bool:
    """An aud_<segment> column."""
    return name.startswith(SEGMENT_PREFIX)


def column_problems(names: list[str]) -> list[str]:
    """Missing required columns, repeated columns, unnamed segments and near-miss column names."""
    problems = []
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    counts = pd.Series(names, dtype=object).value_counts(sort=False)
    problems += [f"column {name!r} appears {n} times (names ignore case and surrounding spaces)"
                 for name, n in counts.items() if n > 1 and name]
    if SEGMENT_PREFIX in names:
        problems.append(f"column {SEGMENT_PREFIX!r} names no segment; write aud_<segment>, e.g. aud_f18_24")
    for name in names:
        guess = near_miss(name, names)
        if guess:
            problems.append(f"column {name!r} is unknown; did you mean {guess!r}?")
    return problems


def near_miss(name: str, names: list[str]) -> str | None:
    """The absent known column an unknown name was probably meant to be; other extras are ignored."""
    if not name or name in COLUMNS or is_segment(name):
        return None
    known = [c for c in COLUMNS if c not in names] + [c for c in names if is_segment(c)]
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    if match and match[0] not in names:
        return match[0]
    typo = SEGMENT_TYPO.fullmatch(name)
    guess = SEGMENT_PREFIX + typo["segment"] if typo else None
    return guess if guess and guess not in names else None


def text(column: pd.Series) -> pd.Series:
    """Cells as stripped strings; a missing cell is ''."""
    if not isinstance(column.dtype, pd.StringDtype):
        column = column.astype(object).astype(str)
    return column.fillna("").str.strip().reset_index(drop=True)


def parse_numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values (NaN where empty or unreadable), the empty cells, and the cells that are not numbers."""
    if pd.api.types.is_bool_dtype(column):
        empty = column.isna().to_numpy()
        return np.full(len(column), np.nan), empty, ~empty
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, np.isnan(values), np.zeros(len(column), dtype=bool)
    cells = pa.array(text(column), type=pa.large_string())
    empty = pc.equal(cells, "")
    try:
        values = pc.cast(pc.if_else(empty, None, cells), pa.float64())
        readable = pc.invert(empty)
    except pa.ArrowInvalid:
        readable = pc.or_(pc.match_substring_regex(cells, NUMBER), pc.match_substring_regex(cells, NOT_FINITE))
        values = pc.cast(pc.if_else(readable, cells, None), pa.float64())
    empty = empty.to_numpy(zero_copy_only=False)
    unreadable = ~empty & ~readable.to_numpy(zero_copy_only=False)
    return values.to_numpy(zero_copy_only=False).astype(np.float64), empty, unreadable


def check_number(name: str, column: pd.Series, rule: Number, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """Check one numeric column; return its values (empty cells filled with the default) and the valid cells."""
    values, empty, unreadable = parse_numbers(column)
    shown = cell_text(column)
    where = f"column {name}"
    if rule.default is None:
        problems.add(empty, where, lambda i: f"empty; {name} is required")
    problems.add(unreadable, where, lambda i: f"{shown(i)!r} is not a number")
    finite = np.isfinite(values)
    problems.add(~empty & ~unreadable & ~finite, where, lambda i: f"{shown(i)} is not a finite number")
    least = "greater than 0" if rule.positive else f"at least {rule.minimum}"
    faults = [
        (finite & (values < 0), lambda i: f"{shown(i)} is negative; {name} must be {least}"),
    ]
    if rule.positive:
        faults.append((finite & (values == 0), lambda i: f"{name} must be {least}, got {shown(i)}"))
    if rule.whole:
        fractional = finite & (values != np.floor(values))
        faults += [
            (fractional, lambda i: f"{shown(i)} is not a whole number"),
            (finite & (values > LARGEST_WHOLE), lambda i: f"{shown(i)} is too large"),
            (finite & ~fractional & (values >= 0) & (values < rule.minimum),
             lambda i: f"{shown(i)} is below {rule.minimum}; {name} must be at least {rule.minimum}"),
        ]
    if rule.fraction:
        faults.append((finite & (values > 1), lambda i: above_one(name, rule.fraction, shown(i), values[i])))
    valid = finite.copy()
    for rows, describe in faults:
        problems.add(rows, where, describe)
        valid &= ~rows
    return np.where(empty, rule.default if rule.default is not None else np.nan, values), valid | empty


def above_one(name: str, fraction: str, shown: str, value: float) -> str:
    """A fraction above 1, with a hint when it looks like a percentage."""
    if value <= 100:
        return f"{shown} is above 1; {fraction} are fractions ({value / 100:g}, not {shown})"
    return f"{shown} is above 1; {name} must be between 0 and 1"


def cell_text(column: pd.Series) -> Callable[[int], str]:
    """How row i's cell reads in a message: as written for text, as printed for typed values."""
    return lambda i: str(column.iloc[i]).strip()


def check_unique(ids: np.ndarray, problems: Problems) -> None:
    """Each non-empty id once; a repeat names the row of its first appearance."""
    codes, _ = pd.factorize(ids)
    _, first = np.unique(codes, return_index=True)
    first_row = first[codes]
    repeated = (first_row != np.arange(len(ids))) & (ids != "")
    problems.add(repeated, "column id", lambda i: f"duplicate id {ids[i]!r}, first in row {first_row[i] + 1}")


def check_share_sums(segments: dict[str, tuple[np.ndarray, np.ndarray]], problems: Problems) -> None:
    """A row's audience shares sum to at most 1 (checked where every share is valid)."""
    if not segments:
        return
    shares = np.column_stack([values for values, _ in segments.values()])
    valid = np.logical_and.reduce([ok for _, ok in segments.values()])
    totals = np.where(valid, shares.sum(axis=1), 0.0)
    problems.add(totals > 1 + 1e-9, "columns aud_*",
                 lambda i: f"audience shares sum to {totals[i]:.6g}; a row's shares sum to at most 1")


def assemble(texts: dict[str, pd.Series], numbers: dict[str, np.ndarray], rows: int) -> pd.DataFrame:
    """The normalized frame: the SPEC's columns with their defaults, then the aud_ columns."""
    blank = pd.Series([""] * rows, dtype="str")
    ids = texts["id"]
    name = texts.get("name", blank)
    niche = texts.get("niche", blank)
    columns = {
        "id": ids,
        "name": name.where(name != "", ids),
        "platform": texts["platform"].str.lower(),
        "niche": niche.where(niche != "", "general"),
        "country": texts.get("country", blank),
        "tier": texts.get("tier", blank),
        "followers": numbers["followers"].astype(np.int64),
        "engagement_rate": numbers["engagement_rate"],
        "cost_per_post": numbers["cost_per_post"],
        "max_posts": numbers.get("max_posts", np.ones(rows)).astype(np.int64),
        "authenticity": numbers.get("authenticity", np.ones(rows)),
    }
    columns |= {name: numbers[name] for name in SIMULATION_COLUMNS if name in numbers}
    columns |= {name: values for name, values in numbers.items() if is_segment(name)}
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))
