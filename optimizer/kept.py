"""The plan as a booking sheet: catalog columns carried through to the allocation (`keep_columns`).

`keep_columns=True` (command line `--keep-columns all`) carries every column influmix does not
use (email, agency, handle URL, ...), as text, named as in the file. A list of names carries
those: columns influmix does not use (as text; names match ignoring case and surrounding
spaces) or influmix's own catalog columns (normalized values, e.g. cost_per_post, country).
A name that is no catalog column is a CatalogError naming the catalog and the column.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.catalog import Catalog, CatalogWarning, text
from models.errors import CatalogError
from models.result import ALLOCATION_COLUMNS, Result

KeepColumns = bool | Sequence[str] | None
OUTPUT_COLUMNS = frozenset(ALLOCATION_COLUMNS) | {"impressions"}


def kept_columns(catalog: Catalog, keep: KeepColumns) -> list[str]:
    """The catalog columns to carry, as the catalog names them; checked before any solve."""
    extras = list(catalog.extras.columns) if catalog.extras is not None else []
    if keep is None or keep is False:
        return []
    if keep is True:
        clashing = [name for name in extras if clashes(name)]
        if clashing:
            warnings.warn(f"{catalog.source}: column{'s' if len(clashing) > 1 else ''} not kept: "
                          f"{', '.join(clashing)} (the allocation has a column of that name)", CatalogWarning,
                          stacklevel=3)
        return [name for name in extras if not clashes(name)]
    if isinstance(keep, str):
        raise TypeError("keep_columns takes True or a list of column names, not a string")
    by_name = {name.strip().lower(): name for name in extras}
    chosen: list[str] = []
    for asked in keep:
        key = str(asked).strip().lower()
        if key in ALLOCATION_COLUMNS and key in catalog.frame.columns:
            continue    # already in the allocation
        name = by_name.get(key) or (key if key in catalog.frame.columns else None)
        if name is None:
            known = ", ".join(extras + [c for c in catalog.frame.columns if c not in ALLOCATION_COLUMNS])
            raise CatalogError(catalog.source, f"column {str(asked)!r} to keep is not a column of the catalog; "
                                               f"columns to keep: {known}")
        if name in extras and clashes(name):
            raise CatalogError(catalog.source, f"column {name!r} to keep has the name of an allocation column; "
                                               "rename it in the catalog")
        if name not in chosen:
            chosen.append(name)
    return chosen


def clashes(name: str) -> bool:
    """An extra column named like a column the allocation has anyway (posts, spend, reach_<segment>...)."""
    key = name.strip().lower()
    return key in OUTPUT_COLUMNS or key.startswith("reach_")


def with_kept_columns(result: Result, catalog: Catalog, columns: list[str]) -> Result:
    """The Result with `columns` added to each allocation row (after influmix's own columns)."""
    if not columns or not result.allocation_records:
        return result
    ids = [record["id"] for record in result.allocation_records]
    rows = pd.Index(catalog.frame["id"]).get_indexer(ids)
    values = {name: column_values(catalog, name, rows, ids) for name in columns}
    records = [record | {name: values[name][k] for name in columns}
               for k, record in enumerate(result.allocation_records)]
    return dataclasses.replace(result, allocation_records=records)


def column_values(catalog: Catalog, name: str, rows: np.ndarray, ids: list[str]) -> list:
    """One kept column's cells for `rows`: text for an extra column, plain Python values for influmix's."""
    if name in catalog.frame.columns:
        return [value.item() if hasattr(value, "item") else value for value in catalog.frame[name].to_numpy()[rows]]
    strings, bad = text(catalog.extras[name].iloc[rows])
    faulty = np.flatnonzero(bad != "")
    if faulty.size:
        k = int(faulty[0])
        raise CatalogError(catalog.source, f"id {ids[k]!r}, column {name!r}: {bad[k]}; it cannot be kept")
    return strings.tolist()
