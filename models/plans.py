"""A previous plan read from a file: a Result JSON (`solve --format json`) or a CSV with columns id, posts.

Used by `solve --previous PLAN` (SPEC section 11). Every fault is an InfluError naming the
file and, for a CSV, the row and column at fault.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from models.catalog import catalog_id
from models.cells import unguarded
from models.errors import InfluError
from models.files import read_input

MAX_PLAN_BYTES = 256 * 2**20   # a Result JSON of a 1M-row catalog's plan fits easily


def read_plan(path: str | Path) -> dict[str, int]:
    """The booked ids of a previous plan, id -> posts (ids with 0 posts left out).

    A file whose name ends in .json is read as a Result; any other as a CSV with a header
    naming at least `id` and `posts` (the allocation CSV of `solve --format csv` is one: the quote
    that keeps an id such as `@anna` from running as a formula is taken off)."""
    data = read_input(path, MAX_PLAN_BYTES, InfluError)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InfluError(path, "not a plan: the file is not UTF-8 text") from None
    records = _json_records(path, text) if str(path).lower().endswith(".json") else _csv_records(path, text)
    plan: dict[str, int] = {}
    seen: set[str] = set()
    for where, record in records:
        ident, posts = _entry(path, where, record)
        if ident in seen:
            raise InfluError(path, f"{where}: id {ident!r} appears twice")
        seen.add(ident)
        if posts > 0:
            plan[ident] = posts
    return plan


def _json_records(path: str | Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The allocation of a Result JSON, each record with where it is."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InfluError(path, f"not a plan: invalid JSON at line {error.lineno}: {error.msg}") from None
    except RecursionError:
        raise InfluError(path, "not a plan: JSON nested hundreds deep") from None
    if not isinstance(document, dict) or not isinstance(document.get("allocation"), list):
        raise InfluError(path, "not a plan: expected a Result JSON (influmix solve --format json) "
                               "with an `allocation` list")
    if document.get("status") == "infeasible":
        raise InfluError(path, "not a plan: the result is infeasible and books no one")
    return [(f"allocation[{k}]", record) for k, record in enumerate(document["allocation"])]


def _csv_records(path: str | Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows of an id,posts CSV, each with where it is (data rows from 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ("id", "posts") if name not in header]
    if missing:
        raise InfluError(path, f"not a plan: the CSV header needs the column{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(missing)} (found: {', '.join(header) or 'no header'})")
    if repeated := sorted({name for name in header if header.count(name) > 1 and name in ("id", "posts")}):
        raise InfluError(path, f"not a plan: the CSV header names {' and '.join(repeated)} more than once; "
                               "keep one column of each")
    reader.fieldnames = header
    return [(f"row {number}", {**row, "id": unguarded(row["id"]) if isinstance(row["id"], str) else row["id"]})
            for number, row in enumerate(reader, start=1)]


def _entry(path: str | Path, where: str, record: Any) -> tuple[str, int]:
    """A record's id and posts, checked."""
    if not isinstance(record, dict):
        raise InfluError(path, f"not a plan: {where} is not an object with id and posts")
    ident, posts = record.get("id"), record.get("posts")
    if not isinstance(ident, str) or not ident.strip():
        raise InfluError(path, f"{where}, column id: missing or empty id")
    if isinstance(posts, str):
        try:
            posts = float(posts)
        except ValueError:
            raise InfluError(path, f"{where} (id {ident!r}), column posts: {posts!r} is not a number") from None
    if isinstance(posts, bool) or not isinstance(posts, (int, float)) or not math.isfinite(posts) \
            or posts < 0 or posts != int(posts) or posts > 10**9:
        raise InfluError(path, f"{where} (id {ident!r}), column posts: {posts!r} is not a whole number "
                               f"of posts >= 0")
    return catalog_id(ident), int(posts)
