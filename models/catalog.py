"""The catalog: one row per influencer offer, read, validated and normalized (SPEC sections 2, 13, 14).

Every cell is checked in bulk, column by column; all problems are gathered and reported
at once, one located Problem each (row, id, column, cell, message), sorted by row. Rows are
numbered from 1 in the order of the file, the header not counted, in every message.
Spreadsheet habits are accepted and said so in a warning: mapped column names, numbers such
as `26,565`, `108K` and `$1,080`, rates in percent, exact duplicate rows, audience shares a
rounding away from 1.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.columns import likely_meaning, parse_mapping, segments_of
from models.errors import CatalogError, CatalogWarning, Problem
from models.numbers import Parsed, parse_numbers
from models.reading import read, read_input_bytes
from models.tiers import derive_tiers

REQUIRED = ("id", "platform", "followers", "engagement_rate", "cost_per_post")
TEXT_COLUMNS = ("id", "name", "platform", "niche", "country", "tier")
SEGMENT_PREFIX = "aud_"
SMALLEST = 1e-9  # a non-zero magnitude below this is a typo or an artefact, and would overflow ratios
PLAUSIBLE_RATE = 0.25  # engagement rates above this are warned about (accounts of 1,000 followers or more:
SMALL_ACCOUNT = 1000  # a few hundred followers can engage at 30%, on TikTok above all)
SHARE_ROUNDING = 0.01  # audience shares summing to at most 1.01 are scaled to 1 (SPEC section 13)
SEGMENT_TYPO = re.compile(r"aud[^a-z0-9_]+(?P<segment>.+)")
Keep = bool | Sequence[str] | None  # the columns a solve carries to its plan (keep_columns); True: all


@dataclass(frozen=True)
class Number:
    """How a numeric column is checked; `default` fills an empty cell (None: the column is required)."""

    default: float | None = None
    whole: bool = False
    minimum: int = 0
    largest: float = 1e15  # this and above: beyond what the model can represent (HiGHS: 1e20 is infinite)
    fraction: str | None = None  # "rates", "shares" or "probabilities": in [0, 1], or a percent column
    positive: bool = False       # 0 is not allowed either


NUMBERS = {
    "followers": Number(whole=True, largest=1e10),
    "engagement_rate": Number(fraction="rates"),
    "cost_per_post": Number(largest=1e12),
    "max_posts": Number(default=1, whole=True, minimum=1, largest=1e6),
    "authenticity": Number(default=1.0, fraction="shares"),
    "engagement_sd": Number(default=np.nan),  # empty: the scenario's [simulation] default
    "delivery": Number(default=np.nan, fraction="probabilities", positive=True),
    "view_rate": Number(default=np.nan, fraction="rates", positive=True),  # empty: the scenario's [audience]
    "fee": Number(default=0.0, largest=1e12),  # fixed price per booked creator, on top of the posts
}
SIMULATION_COLUMNS = ("engagement_sd", "delivery")
OPTIONAL_COLUMNS = SIMULATION_COLUMNS + ("view_rate", "fee")  # kept in the frame only when the catalog has them
SEGMENT = Number(default=0.0, fraction="shares")
COLUMNS = TEXT_COLUMNS + tuple(NUMBERS)
FRACTIONS = tuple(name for name, rule in NUMBERS.items() if rule.fraction)  # may be given in percent


class CatalogPath(type(Path())):
    """A scenario's catalog file, carrying the scenario's [columns] table, so that
    `Catalog.load(scenario.catalog)` reads the file as the scenario names its columns."""

    columns: Mapping[str, str] = {}

    def __reduce__(self) -> tuple:
        return catalog_path, (Path(self), self.columns)


def catalog_path(path: Path, columns: Mapping[str, str]) -> CatalogPath:
    named = CatalogPath(path)
    named.columns = dict(columns)
    return named


@dataclass(frozen=True, eq=False)
class Catalog:
    """A validated, normalized catalog; `frame` has the columns of SPEC section 2 in a fixed order.

    `extras` holds the columns influmix does not use (email, agency, ...) as read, named as in the
    file, row for row with `frame` (kept for `keep_columns`; read only for booked rows). `sha256`
    is the digest of the file's bytes (None for a DataFrame).
    """

    frame: pd.DataFrame
    path: Path | None
    origin: str = "<DataFrame>"
    extras: pd.DataFrame | None = None
    sha256: str | None = None

    @classmethod
    def load(cls, path: str | Path, columns: Mapping[str, str] | None = None, keep: Keep = None) -> Catalog:
        """Read a CSV (or other delimited text), Parquet, JSON-lines or .xlsx catalog; CatalogError
        lists every problem. `columns` maps the file's column names to influmix's (a scenario's
        [columns] table), e.g. {"Username": "id", "ER %": "engagement_rate:percent"}. `keep` names
        the columns a solve will carry (its keep_columns; True: all): not warned about as ignored.
        A scenario's `catalog` brings its [columns] along; `columns` given here win."""
        if columns is None and isinstance(path, CatalogPath):
            columns = path.columns or None
        path = Path(path)
        data = read_input_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        raw = read(path, data)
        del data                        # a million-row file's bytes are not kept through validation
        frame, extras = normalize(raw, str(path), columns, keep)
        del raw
        pa.default_memory_pool().release_unused()   # Arrow's freed buffers back to the system, for the solve
        return cls(frame, path, extras=extras, sha256=digest)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "<DataFrame>",
                   columns: Mapping[str, str] | None = None, keep: Keep = None) -> Catalog:
        """Validate a DataFrame like a file; `source` names it in errors."""
        frame, extras = normalize(frame, source, columns, keep)
        return cls(frame, None, source, extras)

    def without_extras(self) -> Catalog:
        """The same catalog without the columns influmix does not use: what a worker process needs."""
        return dataclasses.replace(self, extras=None) if self.extras is not None else self

    def subset(self, rows: np.ndarray) -> Catalog:
        """The rows at positions `rows`, in that order, without the columns influmix does not use:
        what a plan's figures are computed from."""
        return dataclasses.replace(self, frame=self.frame.iloc[rows].reset_index(drop=True), extras=None)

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
        """A_ik = A_i * aud_k,i; for a union "k+l" of segments, A_ik + A_il."""
        shares = np.zeros(self.rows)
        for part in segments_of(segment):
            column = SEGMENT_PREFIX + part
            if column not in self.frame.columns:
                raise CatalogError(self.source, f"no column {column!r}; segments: {', '.join(self.segments) or 'none'}")
            shares = shares + self.frame[column].to_numpy(float)
        return self.audience * shares

    def tiers(self, scheme: Mapping[str, float]) -> np.ndarray:
        """The catalog's tier cell where it has one (spelt as the scheme spells it when it names
        one of its tiers in another case: `Mega` is `mega`), else the tier derived from followers."""
        given = self.frame["tier"].to_numpy(dtype=object)
        derived = derive_tiers(self.frame["followers"].to_numpy(), scheme)
        filled = given != ""
        if filled.any():
            codes, cells = pd.factorize(given[filled])
            spelling = {name.casefold(): name for name in scheme}
            given = given.copy()
            given[filled] = np.array([spelling.get(cell.casefold(), cell) for cell in cells], dtype=object)[codes]
        return np.where(filled, given, derived).astype(object)


def catalog_id(text: str) -> str:
    """An id written elsewhere (a scenario, a plan file) as the catalog reads its cells: stripped, Unicode NFC."""
    return unicodedata.normalize("NFC", text).strip()


# -- problems ----------------------------------------------------------------------------


class Problems:
    """Located problems, gathered column by column in bulk and listed row by row."""

    def __init__(self, ids: np.ndarray | None):
        self.ids = ids
        self.general: list[str] = []
        self.located: list[tuple[np.ndarray, str, Callable[[int], str], Callable[[int], str] | None]] = []

    def add(self, rows: np.ndarray, column: str, describe: Callable[[int], str],
            cell: Callable[[int], str] | None = None) -> None:
        """One problem for each row in the boolean mask `rows`; `describe(i)` words it, `cell(i)` shows the cell."""
        found = np.flatnonzero(rows)
        if found.size:
            self.located.append((found, column, describe, cell))

    def __bool__(self) -> bool:
        return bool(self.general or self.located)

    def all(self) -> list[Problem]:
        """Whole-file problems, then the located ones by row (ties keep column order)."""
        listed = [Problem(message) for message in self.general]
        if not self.located:
            return listed
        rows = np.concatenate([found for found, *_ in self.located])
        kinds = np.concatenate([np.full(len(found), k) for k, (found, *_) in enumerate(self.located)])
        for i in np.lexsort((kinds, rows)):
            row, (_, column, describe, cell) = int(rows[i]), self.located[kinds[i]]
            ident = self.ids[row] if self.ids is not None and self.ids[row] else None
            listed.append(Problem(describe(row), row + 1, ident, column, cell(row) if cell else None))
        return listed


def warn(source: str, message: str) -> None:
    """One CatalogWarning naming the catalog."""
    warnings.warn(f"{source}: {message}", CatalogWarning, stacklevel=5)


def first_rows(mask: np.ndarray, ids: np.ndarray, limit: int = 3) -> str:
    """`row 4 (id 'x'), row 9 (id 'y') and 5 more`: where a warning applies."""
    found = np.flatnonzero(mask)
    shown = ", ".join(f"row {i + 1} (id {ids[i]!r})" for i in found[:limit])
    return shown + (f" and {len(found) - limit} more" if len(found) > limit else "")


# -- validation and normalization --------------------------------------------------------


def normalize(raw: pd.DataFrame, source: str, columns: Mapping[str, str] | None = None,
              keep: Keep = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The normalized frame of SPEC section 2 and the extra columns, or a CatalogError naming every problem."""
    try:
        return validate(raw, source, columns, keep)
    except UnicodeEncodeError as error:
        bad = error.object[error.start:error.end]
        raise CatalogError(source, f"text that is not valid Unicode ({bad!r}: {error.reason})") from error


def validate(raw: pd.DataFrame, source: str, columns: Mapping[str, str] | None = None,
             keep: Keep = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check every column and cell; the normalized frame and the extra columns (as read) when all
    pass (exact duplicate rows dropped from both)."""
    mapping, general = parse_mapping(columns, COLUMNS, FRACTIONS)
    written = [str(name).strip() for name in raw.columns]
    general += [f"column mapping: {name!r} is not a column of the file" for name in mapping
                if name not in {w.lower() for w in written}]
    names = [mapping[w.lower()].target if w.lower() in mapping else w.lower() for w in written]
    percent = {m.target for m in mapping.values() if m.percent}
    first: dict[str, int] = {}   # each name's first column (names.index per name took minutes at 100,000 columns)
    for position, name in enumerate(names):
        first.setdefault(name, position)
    cells = {name: raw.iloc[:, i] for name, i in first.items() if name in COLUMNS or is_segment(name)}
    read = {name: text(cells[name]) for name in TEXT_COLUMNS if name in cells}
    texts = {name: strings for name, (strings, _) in read.items()}
    problems = Problems(texts["id"].to_numpy(dtype=object) if "id" in texts else None)
    for name, (_, bad) in read.items():
        problems.add(bad != "", name, lambda i, b=bad: b[i])
    problems.general += general + column_problems(names, written, repeated_alike(raw, names))
    if not len(raw):
        problems.general.append("the catalog has no rows")
        raise CatalogError(source, problems.all())
    repeats = exact_repeats(raw, problems.ids)
    check_required_text(texts, {name: bad != "" for name, (_, bad) in read.items()}, repeats, problems)
    segments = [name for name in cells if is_segment(name)]
    numbers = {name: read_numbers(cells[name], name) for name in cells if name in NUMBERS or is_segment(name)}
    percent |= percent_columns(numbers, segments)
    checked = {name: check_number(name, cells[name], numbers[name], name in percent, problems) for name in numbers}
    shares = check_share_sums({name: checked[name] for name in segments}, problems)
    if problems:
        raise CatalogError(source, problems.all())
    frame = assemble(texts, {name: values for name, (values, _) in checked.items()} | shares.scaled, len(raw))
    report_leniency(source, frame, written, names, percent - {m.target for m in mapping.values() if m.percent},
                    repeats, shares.rows, keep)
    warn_unnamed(source, raw, written)
    extras = extra_columns(raw, written, first)
    if repeats.any():
        return frame[~repeats].reset_index(drop=True), extras[~repeats].reset_index(drop=True)
    return frame, extras


def extra_columns(raw: pd.DataFrame, written: list[str], first: dict[str, int]) -> pd.DataFrame:
    """The columns influmix does not use, as read, named as written (the first of a repeated name)."""
    kept = [i for name, i in first.items() if name and name not in COLUMNS and not is_segment(name)]
    return raw.iloc[:, kept].set_axis([written[i] for i in kept], axis=1).reset_index(drop=True)


def report_leniency(source: str, frame: pd.DataFrame, written: list[str], names: list[str], percent: set[str],
                    repeats: np.ndarray, scaled: np.ndarray, keep: Keep = None) -> None:
    """The warnings of a catalog that loaded: what was ignored (not kept), read as percent, dropped, scaled or odd."""
    ids = frame["id"].to_numpy(dtype=object)
    kept = {w.lower() for w in written} if keep is True else {str(name).strip().lower() for name in keep or ()}
    ignored = list(dict.fromkeys(ignored_column(w) for w, n in zip(written, names, strict=True)
                                 if w and n not in COLUMNS and not is_segment(n) and w.lower() not in kept))
    if ignored:
        warn(source, f"column{'s' if len(ignored) > 1 else ''} ignored: {', '.join(ignored)} "
                     "(map a column with [columns] in the scenario or --map, e.g. Category=niche)")
    segments = sorted(name for name in percent if is_segment(name))
    for name in sorted(percent - set(segments)) + ([f"aud_* ({len(segments)})"] if segments else []):
        warn(source, f"column {name} read as percent (a value is above 1 or has a % sign): every value divided by 100")
    if repeats.any():
        warn(source, f"{int(repeats.sum())} exact duplicate row{'s' if repeats.sum() > 1 else ''} dropped: "
                     f"{first_rows(repeats, ids)}")
    if scaled.any():
        warn(source, f"audience shares of {int(scaled.sum())} row{'s' if scaled.sum() > 1 else ''} sum to at most "
                     f"{1 + SHARE_ROUNDING:g} and were scaled to 1: {first_rows(scaled, ids)}")
    implausible = ((frame["engagement_rate"].to_numpy() > PLAUSIBLE_RATE)
                   & (frame["followers"].to_numpy() >= SMALL_ACCOUNT) & ~repeats)
    if implausible.any():
        warn(source, f"engagement rate above {PLAUSIBLE_RATE:.0%} in {int(implausible.sum())} "
                     f"row{'s' if implausible.sum() > 1 else ''}, which is implausible: {first_rows(implausible, ids)}")
    warn_case_collisions(source, ids, repeats)


def warn_unnamed(source: str, raw: pd.DataFrame, written: list[str]) -> None:
    """Columns with an empty header cell are ignored: say so for those that hold data (an empty one
    is a spreadsheet's trailing column, ignored silently)."""
    unnamed = [str(i + 1) for i, name in enumerate(written) if not name and (text(raw.iloc[:, i])[0] != "").any()]
    if unnamed:
        warn(source, f"data in unnamed column{'s' if len(unnamed) > 1 else ''} {', '.join(unnamed)} ignored "
                     "(counted from 1; the header cell is empty: name the column to use it)")


def ignored_column(name: str) -> str:
    """`Category (niche?)`: an ignored column with its likely meaning, if one is likely (control
    characters in the name are left out: the message goes to a terminal)."""
    meaning = likely_meaning(name)
    shown = "".join(character for character in name if character.isprintable())
    return f"{shown} ({meaning}?)" if meaning else shown


def warn_case_collisions(source: str, ids: np.ndarray, repeats: np.ndarray) -> None:
    """Ids that differ only by case (`a`, `A`) are different ids, but probably one creator: say so."""
    lowered = pc.utf8_lower(pa.array(ids[~repeats], type=pa.large_string()))
    if pc.count_distinct(lowered).as_py() == len(lowered):
        return
    folded = pd.Series(lowered.to_numpy(zero_copy_only=False))
    clashing = folded.duplicated(keep=False).to_numpy()
    rows = np.flatnonzero(~repeats)[clashing]
    groups = pd.Series(rows).groupby(folded[clashing].to_numpy(), sort=False).agg(list)
    pairs = [" and ".join(f"{ids[r]!r} (row {r + 1})" for r in group) for group in groups.iloc[:3]]
    more = f" and {len(groups) - 3} more" if len(groups) > 3 else ""
    warn(source, f"ids that differ only by case are different creators: {'; '.join(pairs)}{more}")


def exact_repeats(raw: pd.DataFrame, ids: np.ndarray | None) -> np.ndarray:
    """Rows that repeat an earlier row cell for cell (dropped with a warning); only rows whose id
    repeats are compared, so a catalog without repeated ids costs one pass over its ids."""
    repeats = np.zeros(len(raw), dtype=bool)
    if ids is None:
        return repeats
    candidates = pd.Series(ids).duplicated(keep=False).to_numpy() & (ids != "")
    if candidates.any():
        try:
            repeats[candidates] = raw[candidates].duplicated(keep="first").to_numpy()
        except TypeError:  # unhashable cells (JSON objects) are reported as problems instead
            pass
    return repeats


def check_required_text(texts: dict[str, pd.Series], faulty: dict[str, np.ndarray], repeats: np.ndarray,
                        problems: Problems) -> None:
    """Every id and platform is given, and each id once (an exact duplicate row is not a second id)."""
    for name in ("id", "platform"):
        if name in texts:
            problems.add((texts[name].to_numpy() == "") & ~faulty[name], name,
                         lambda i, n=name: f"empty; {n} is required")
    if problems.ids is not None:
        check_unique(problems.ids, repeats, problems)


def is_segment(name: str) -> bool:
    """An aud_<segment> column."""
    return name.startswith(SEGMENT_PREFIX)


def repeated_alike(raw: pd.DataFrame, names: list[str]) -> set[str]:
    """Known columns that appear more than once with the same values (an export that gives
    followers as `409.8M` and as `409800000`): the first copy is used, as any would do."""
    alike = set()
    counts = Counter(names)
    for name in {n for n in names if counts[n] > 1 and (n in COLUMNS or is_segment(n))}:
        copies = [raw.iloc[:, i] for i, n in enumerate(names) if n == name]
        if name in NUMBERS or is_segment(name):
            read = [read_numbers(c, name)[0].values for c in copies]
            same = all(np.array_equal(read[0], other, equal_nan=True) for other in read[1:])
        else:
            same = all(text(copies[0])[0].equals(text(other)[0]) for other in copies[1:])
        if same:
            alike.add(name)
    return alike


def column_problems(names: list[str], written: list[str], alike: set[str]) -> list[str]:
    """Missing required columns (with the file's likely candidates), repeated columns (unless
    alike), unnamed segments and near-miss column names."""
    problems = []
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        candidates = [ignored_column(w) for w, n in zip(written, names, strict=True)
                      if likely_meaning(w) in missing and n not in COLUMNS]
        hint = f"; the file has {', '.join(candidates)}: map them with [columns] or --map" if candidates else ""
        problems.append(f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}{hint}")
    counts = pd.Series(names, dtype=object).value_counts(sort=False)
    problems += [f"column {name!r} appears {n} times (names ignore case and surrounding spaces)"
                 for name, n in counts.items() if n > 1 and name and (name in COLUMNS or is_segment(name))
                 and name not in alike]
    if SEGMENT_PREFIX in names:
        problems.append(f"column {SEGMENT_PREFIX!r} names no segment; write aud_<segment>, e.g. aud_f18_24")
    present = set(names)
    known = [c for c in COLUMNS if c not in present] + [c for c in names if is_segment(c)]
    for name in names:
        guess = near_miss(name, present, known)
        if guess:
            problems.append(f"column {name!r} is unknown; did you mean {guess!r}?")
    return problems


def near_miss(name: str, names: set[str], known: list[str]) -> str | None:
    """The absent known column an unknown name was probably meant to be; other extras are ignored.
    `known`: the known columns absent from `names`, then the segment columns of `names`."""
    if not name or name in COLUMNS or is_segment(name):
        return None
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    if match and match[0] not in names:
        return match[0]
    typo = SEGMENT_TYPO.fullmatch(name)
    guess = SEGMENT_PREFIX + typo["segment"] if typo else None
    return guess if guess and guess not in names else None


def text(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Cells as stripped NFC strings ('' when missing), and what is wrong with the cells that are
    no text at all ('' where nothing): a JSON object or array, or bytes that are not UTF-8."""
    strings, bad = text_cells(column)
    return pd.Series(strings.to_numpy(zero_copy_only=False), dtype=object), bad


def text_cells(column: pd.Series, nfc: bool = True) -> tuple[pa.Array, np.ndarray]:
    """`text` as an Arrow array, in bulk: per cell only for object columns that hold more than
    strings; `nfc=False` leaves out the normalization (numbers need none)."""
    column = column.reset_index(drop=True)
    bad = no_faults(len(column))
    if not isinstance(column.dtype, (pd.StringDtype, pd.ArrowDtype)):
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if column.dtype == object and kind not in ("string", "empty"):
            column, bad = scalars(column)
            kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind not in ("string", "empty"):
            column = column.astype(object).where(column.notna(), "").astype(str)
    strings = pa.array(column, from_pandas=True)
    strings = (strings if pa.types.is_large_string(strings.type) else strings.cast(pa.large_string())).fill_null("")
    strings = pc.utf8_trim_whitespace(strings)
    return (pc.utf8_normalize(strings, form="NFC") if nfc else strings), bad


def no_faults(rows: int) -> np.ndarray:
    """'' for every cell: nothing wrong."""
    return np.zeros(rows, dtype="U1")


def scalars(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Per cell (object columns only): bytes decoded, JSON objects and arrays blanked and described."""
    values, bad = [], []
    for cell in column:
        fault = ""
        if isinstance(cell, (dict, list, tuple, np.ndarray)):  # Arrow reads a JSON array as an ndarray
            cell, fault = "", f"a JSON {'object' if isinstance(cell, dict) else 'array'}, not a single value"
        elif isinstance(cell, bytes):
            try:
                cell = cell.decode("utf-8")
            except UnicodeDecodeError:
                cell, fault = "", "bytes that are not UTF-8 text"
        values.append(cell)
        bad.append(fault)
    return pd.Series(values, dtype=object), np.array(bad, dtype=object)


def cell_text(column: pd.Series) -> Callable[[int], str]:
    """How row i's cell reads in a message: as written for text, as printed for typed values."""
    cells: list[np.ndarray] = []  # converted once, on the first problem: most columns have none

    def shown(i: int) -> str:
        if not cells:
            cells.append(column.to_numpy(dtype=object))
        return str(cells[0][i]).strip()
    return shown


def rule_of(name: str) -> Number:
    """How a numeric column is checked."""
    return NUMBERS.get(name, SEGMENT)


def read_numbers(column: pd.Series, name: str) -> tuple[Parsed, np.ndarray]:
    """A numeric column parsed in bulk (as text unless typed; a % sign only in fraction columns),
    and what is wrong with the cells that are no value at all ('' where nothing)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return parse_numbers(column, None), no_faults(len(column))
    strings, bad = text_cells(column, nfc=False)
    return parse_numbers(column, strings, percent=bool(rule_of(name).fraction)), bad


def percent_columns(numbers: dict[str, tuple[Parsed, np.ndarray]], segments: list[str]) -> set[str]:
    """Fraction columns written in percent: any value above 1 or any % sign. The aud_ columns go
    together (one export writes them all alike), so that their sums stay comparable."""
    found = set()
    for name, (parsed, _) in numbers.items():
        if not rule_of(name).fraction:
            continue
        if parsed.percent_sign or np.nanmax(np.where(np.isfinite(parsed.values), parsed.values, 0), initial=0) > 1:
            found.add(name)
    return found | set(segments) if found & set(segments) else found


def check_number(name: str, column: pd.Series, read: tuple[Parsed, np.ndarray], percent: bool,
                 problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """Check one numeric column; return its values (empty cells filled with the default, percent
    divided by 100) and the valid cells."""
    parsed, bad = read
    rule = rule_of(name)
    faulty = bad != ""
    values, empty, unreadable = parsed.values, parsed.empty & ~faulty, parsed.unreadable & ~faulty
    shown = cell_text(column)
    problems.add(faulty, name, lambda i: bad[i])
    if rule.default is None:
        problems.add(empty, name, lambda i: f"empty; {name} is required")
    problems.add(unreadable, name, lambda i: f"{shown(i)!r} is not a number", shown)
    finite = np.isfinite(values)
    problems.add(~empty & ~unreadable & ~faulty & ~finite, name, lambda i: f"{shown(i)} is not a finite number", shown)
    scale = 100.0 if percent else 1.0
    least = "greater than 0" if rule.positive else f"at least {rule.minimum}"
    faults = [
        (finite & (values < 0), lambda i: f"{shown(i)} is negative; {name} must be {least}"),
        (finite & (values != 0) & (np.abs(values) / scale < SMALLEST),
         lambda i: f"{shown(i)} is too small; write 0 or at least {SMALLEST:g}"),
        (finite & (values / scale >= rule.largest),
         lambda i: f"{shown(i)} is too large; {name} must be less than {rule.largest:g}"),
    ]
    if rule.positive:
        faults.append((finite & (values == 0), lambda i: f"{name} must be {least}, got {shown(i)}"))
    if rule.whole:
        fractional = finite & (values != np.floor(values))
        faults += [
            (fractional, lambda i: f"{shown(i)} is not a whole number"),
            (finite & ~fractional & (values >= 0) & (values < rule.minimum),
             lambda i: f"{shown(i)} is below {rule.minimum}; {name} must be at least {rule.minimum}"),
        ]
    if rule.fraction:
        faults.append((finite & (values / scale > 1), lambda i: f"{shown(i)} is above 100 percent" if percent
                       else f"{shown(i)} is above 1; {name} must be between 0 and 1"))
    valid = finite.copy()
    for rows, describe in faults:
        problems.add(rows & valid, name, describe, shown)
        valid &= ~rows
    return np.where(empty, rule.default if rule.default is not None else np.nan, values / scale), valid | empty


def check_unique(ids: np.ndarray, repeats: np.ndarray, problems: Problems) -> None:
    """Each non-empty id once; a repeat names the row of its first appearance. Exact duplicate rows
    are not repeats (they are dropped)."""
    codes, _ = pd.factorize(ids)
    _, first = np.unique(codes, return_index=True)
    first_row = first[codes]
    repeated = (first_row != np.arange(len(ids))) & (ids != "") & ~repeats
    problems.add(repeated, "id", lambda i: f"duplicate id {ids[i]!r}, first in row {first_row[i] + 1}",
                 lambda i: ids[i])


@dataclass(frozen=True)
class Shares:
    """The aud_ columns with rows whose shares sum to (1, 1.01] scaled to 1, and those rows."""

    scaled: dict[str, np.ndarray]
    rows: np.ndarray


def check_share_sums(segments: dict[str, tuple[np.ndarray, np.ndarray]], problems: Problems) -> Shares:
    """A row's audience shares sum to at most 1; up to 1.01 (a rounded export) they are scaled to 1."""
    if not segments:
        return Shares({}, np.zeros(0, dtype=bool))
    valid = np.logical_and.reduce([ok for _, ok in segments.values()])
    totals = np.where(valid, sum(values for values, _ in segments.values()), 0.0)   # no 1M x 30 stack
    problems.add(totals > 1 + SHARE_ROUNDING + 1e-12, "aud_*",
                 lambda i: f"audience shares sum to {totals[i]:.6g}; a row's shares sum to at most 1 "
                           f"(up to {1 + SHARE_ROUNDING:g} is scaled)")
    rounded = (totals > 1 + 1e-9) & (totals <= 1 + SHARE_ROUNDING + 1e-12)
    divisor = np.where(rounded, totals, 1.0)
    return Shares({name: values / divisor for name, (values, _) in segments.items()}, rounded)


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
    columns |= {name: numbers[name] for name in OPTIONAL_COLUMNS if name in numbers}
    columns |= {name: values for name, values in numbers.items() if is_segment(name)}
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))
