"""Reading catalog files into raw cells: CSV (and other delimited text), Parquet, JSON lines, Excel.

Nothing here judges a cell; catalog.py validates. Any failure to read is a CatalogError that
names the file and, where it can, the line (of the file) at fault.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from models.errors import CatalogError, CatalogWarning
from models.files import read_input, wide_encoding

MAX_CATALOG_BYTES = 2**30  # 1 GiB: ten times a million-row CSV
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # an <f> (or <x:f>) element of a worksheet's XML
RULE_LINE = re.compile(rb"^[=\-+| \t]{3,}\r?$")  # a ==== or ---- line under a header


def read_input_bytes(path: Path) -> bytes:
    """The bytes of a catalog file (a regular file within the size limit); else a CatalogError."""
    if not path.exists():
        raise CatalogError(path, "file not found")
    if path.is_dir():
        raise CatalogError(path, "is a directory, not a catalog file")
    return read_input(path, MAX_CATALOG_BYTES, CatalogError)


def read(path: Path, data: bytes | None = None) -> pd.DataFrame:
    """The raw cells of a catalog file (its bytes `data` when already read), chosen by suffix;
    any failure is a CatalogError."""
    if data is None:
        data = read_input_bytes(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise CatalogError(path, f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                                 f"use one of {', '.join(READERS)}")
    try:
        return reader(path, data)
    except OSError as error:
        raise CatalogError(path, f"cannot read the file ({error.strerror or error})") from error
    except (pa.ArrowException, ValueError, KeyError, TypeError) as error:
        raise CatalogError(path, f"cannot read the file: {_first_line(error)}") from error


def arrow_owned(data: bytes) -> pa.BufferReader:
    """The bytes copied into memory Arrow owns, for its readers. Handed a Python object instead
    (io.BytesIO), Arrow's reader threads may drop the last reference after the read returns;
    at interpreter exit that takes the GIL from a C++ thread and aborts the process ("terminate
    called without an active exception", exit -6). The copy costs 0.7 s on 264 MB; the threaded
    CSV read from it is 1 s faster than from a Python file."""
    buffer = pa.allocate_buffer(len(data))
    memoryview(buffer).cast("B")[:] = data
    return pa.BufferReader(buffer)


def read_text(path: Path, data: bytes) -> bytes:
    """The file's bytes without a UTF-8 byte-order mark, after checking that they are UTF-8 text."""
    if wide := wide_encoding(data):
        raise CatalogError(path, f"is {wide} text, not UTF-8; save the file as UTF-8")
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


def read_delimited(path: Path, data: bytes) -> pd.DataFrame:
    """Every cell as text (ids like 0017 stay as written); the header row names the columns.

    The delimiter is the one of `, ; tab |` that the header line holds most of (commas when it
    holds none); a rule line (==== or ----) right under the header is skipped (emptied: empty
    lines are skipped anyway, and the file's line numbers stay as they are).
    """
    data = read_text(path, data)
    end = data.find(b"\n")
    header = data[:end] if end >= 0 else data
    after = data.find(b"\n", end + 1) if end >= 0 else -1
    if end >= 0 and RULE_LINE.match(data[end + 1:after] if after >= 0 else data[end + 1:]):
        data = data[:end + 1] + (data[after:] if after >= 0 else b"")  # left empty: lines keep their numbers
    delimiter = max(DELIMITERS, key=lambda d: (header.count(d.encode()), -DELIMITERS.index(d)))
    width = header.count(delimiter.encode()) + 1
    try:
        table = pa_csv.read_csv(
            arrow_owned(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        problem = unclosed_quote(data, delimiter, width) or ragged_row(data, delimiter)
        raise CatalogError(path, problem or f"cannot parse the file: {_first_line(error)}") from error
    if any(pc.any(pc.match_substring(column, "\n")).as_py() for column in table.columns):
        problem = unclosed_quote(data, delimiter, width)
        if problem:
            raise CatalogError(path, problem)
    names = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    frame = table.slice(1).to_pandas(types_mapper=pd.ArrowDtype)
    frame.columns = names
    return frame


def unclosed_quote(data: bytes, delimiter: str, width: int) -> str | None:
    """A quote that swallows lines that look like whole rows, or runs to the end of the file.

    Called only when a cell spans lines (or parsing failed): a quoted cell may hold line
    breaks, but not lines with a row's worth of delimiters.
    """
    opened = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        odd = line.count(b'"') % 2 == 1
        if opened is not None and not odd and width > 1 and line.count(delimiter.encode()) >= width - 1:
            return (f"line {opened}: a quote opened here is still open at line {number}, which looks like a "
                    f"whole row; close the quote (write a quote inside a quoted cell as \"\")")
        if odd:
            opened = number if opened is None else None
    if opened is not None:
        return f"line {opened}: a quote opened here is never closed (it runs to the end of the file)"
    return None


def ragged_row(data: bytes, delimiter: str) -> str | None:
    """The first data row whose cell count differs from the header's (error path only)."""
    records = (r for r in csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter) if r)
    try:
        header = next(records, [])
        for row, record in enumerate(records, start=1):
            if len(record) != len(header):
                hint = (f"cells are split at {DELIMITER_NAMES[delimiter]} (the header holds most of them)"
                        if len(header) > 1 else
                        f"the header holds no {', '.join(DELIMITER_NAMES.values())}: which separates the cells?")
                return f"row {row}: has {len(record)} cells, the header has {len(header)}; {hint}"
    except csv.Error:
        return None
    return None


def read_parquet(path: Path, data: bytes) -> pd.DataFrame:
    """The columns of a Parquet file, typed as stored; byte strings stay bytes (checked later).

    Text that is not valid UTF-8 is read as bytes, so that validation can name its rows.
    """
    table = pq.read_table(arrow_owned(data))
    table = pa.table([_valid_text_or_bytes(column) for column in table.columns], names=table.column_names)
    return table.to_pandas(types_mapper=_text_as_arrow)


def _text_as_arrow(kind: pa.DataType) -> pd.ArrowDtype | None:
    """Text columns stay Arrow strings in pandas (no Python string per cell); the rest as pandas types them."""
    return pd.ArrowDtype(kind) if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


def _valid_text_or_bytes(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column as it is when it is valid UTF-8, else as bytes."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return column.cast(pa.large_binary())
    return column


def read_json_lines(path: Path, data: bytes) -> pd.DataFrame:
    """One JSON object per line; columns whose type varies from line to line are read as objects."""
    data = read_text(path, data)
    try:
        return pa_json.read_json(arrow_owned(data)).to_pandas()
    except pa.ArrowInvalid:
        return pd.DataFrame.from_records(_json_records(path, data.decode("utf-8")))


def _json_records(path: Path, text: str) -> list[dict]:
    """Each non-blank line parsed as a JSON object; the first bad line (or key given twice) is reported."""
    records = []
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            record = json.loads(content, object_pairs_hook=_unique_keys)
        except _RepeatedKey as repeated:
            raise CatalogError(path, f"line {line}: key {repeated.key!r} appears twice in one object; "
                                     "keep one of its values") from None
        except ValueError as error:
            raise CatalogError(path, f"line {line}: not valid JSON ({error})") from error
        except RecursionError:
            raise CatalogError(path, f"line {line}: JSON nested hundreds deep; a catalog row is one flat "
                                     "object") from None
        if not isinstance(record, dict):
            raise CatalogError(path, f"line {line}: expected one JSON object per line (JSON lines), "
                                     f"found {type(record).__name__}")
        records.append(record)
    return records


class _RepeatedKey(Exception):
    """A JSON object names one key twice (json.loads would keep the last value silently)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """json.loads' object_pairs_hook: the object as a dict, or _RepeatedKey for a key given twice."""
    record = dict(pairs)
    if len(record) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        raise _RepeatedKey(next(key for key, _ in pairs if counts[key] > 1))
    return record


def read_xlsx(path: Path, data: bytes) -> pd.DataFrame:
    """The first sheet of an Excel workbook: its first row names the columns; values as shown
    (formulas by their cached result), empty rows skipped. Other sheets that hold data are named in
    a CatalogWarning; a formula saved without its result (a file written by a script, never
    recalculated) is a CatalogError naming its cells."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise CatalogError(path, f"cannot read the workbook: {_first_line(error)}") from None
    sheet, rows, read = book.worksheets[0], [], 0
    for read, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if _filled(row):
            rows.append((read, row))
    others = [other.title for other in book.worksheets[1:] if _holds_data(other)]
    book.close()
    if others:
        warnings.warn(f"{path}: the workbook has {len(others) + 1} sheets with data; read the first, "
                      f"{sheet.title!r}, and ignored {', '.join(map(repr, others))} (move the catalog to the "
                      "first sheet, or save it as a file of its own)", CatalogWarning, stacklevel=4)
    if (len(rows) < read or any(cell is None for _, row in rows for cell in row)) and _has_formulas(data):
        _check_formula_results(path, data, dict(rows))
    if not rows:
        raise CatalogError(path, "the first sheet is empty")
    width = max(len(row) for _, row in rows)
    cells = [[_cell_text(cell) for cell in row] + [""] * (width - len(row)) for _, row in rows]
    return pd.DataFrame(cells[1:], columns=cells[0], dtype=object)


def _filled(row: tuple) -> bool:
    """Whether a worksheet row has a cell with something in it (not empty, not blank)."""
    return any(cell is not None and str(cell).strip() for cell in row)


def _holds_data(sheet: object) -> bool:
    """Whether a worksheet has a filled row (read up to the first one)."""
    return any(map(_filled, sheet.iter_rows(values_only=True)))


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook (a zip of XML) holds a formula: a scan of the
    decompressed XML, in chunks, for an <f> element."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as member:
                tail = b""
                while chunk := member.read(1 << 20):
                    if FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _check_formula_results(path: Path, data: bytes, shown: dict[int, tuple]) -> None:
    """CatalogError naming each cell of the first sheet that holds a formula whose result was not
    saved (read as empty from `shown`, the cells as shown, by row number)."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    sheet = book.worksheets[0]
    header = shown.get(min(shown, default=0), ())
    unsaved = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = shown.get(number, ())
        for index, cell in enumerate(row):
            formula = isinstance(cell, (ArrayFormula, DataTableFormula)) or (
                isinstance(cell, str) and cell.startswith("="))
            if formula and (values[index] if index < len(values) else None) is None:
                letter = get_column_letter(index + 1)
                name = _cell_text(header[index]) if index < len(header) else ""
                unsaved.append(f"sheet {sheet.title!r}, cell {letter}{number} (row {number}, column "
                               f"{name or letter}): a formula saved without its result; open the file in "
                               "Excel or LibreOffice and save it again (or export it as CSV)")
    book.close()
    if unsaved:
        raise CatalogError(path, unsaved)


def _cell_text(cell: object) -> str:
    """A workbook cell as text: whole floats without '.0', empty as ''."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        return str(int(cell))
    return str(cell)


READERS: dict[str, Callable[[Path, bytes], pd.DataFrame]] = {
    ".csv": read_delimited,
    ".tsv": read_delimited,
    ".txt": read_delimited,
    ".parquet": read_parquet,
    ".pq": read_parquet,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".json": read_json_lines,
    ".xlsx": read_xlsx,
}


def _first_line(error: BaseException) -> str:
    """The first line of an exception's message, kept short."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]
