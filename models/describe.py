"""A catalog at a glance: how many influencers, and their typical size, engagement and price,
by tier, platform and niche.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.catalog import Catalog
from models.tiers import DEFAULT_TIERS, ordered

GROUPINGS = ("tier", "platform", "niche")
STATISTICS = ("influencers", "share", "followers", "engagement_rate", "cost_per_post", "cpe")
"""Columns of each group table: a count, its share of rows, then medians (cpe = cost_per_post / E_i)."""


@dataclass(frozen=True)
class CatalogSummary:
    """`overall`: the STATISTICS over every row; `groups`: one frame per grouping, indexed by value."""

    source: str
    rows: int
    segments: tuple[str, ...]
    tiers: dict[str, float]
    overall: dict[str, float]
    groups: dict[str, pd.DataFrame]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "catalog": self.source,
            "rows": self.rows,
            "segments": list(self.segments),
            "tiers": self.tiers,
            "overall": self.overall,
            "groups": {grouping: [{grouping: value, **_plain_row(row)} for value, row in frame.iterrows()]
                       for grouping, frame in self.groups.items()},
        }


def describe(catalog: Catalog, tiers: Mapping[str, float] | None = None) -> CatalogSummary:
    """Counts and medians by tier (with `tiers`, default the SPEC's scheme), platform and niche.

    Tiers come in the order of the scheme (then any tier the catalog names itself); platforms
    and niches from the most to the least common.
    """
    scheme = ordered(tiers or DEFAULT_TIERS)
    frame = _measures(catalog, scheme)
    groups = {grouping: _grouped(frame, grouping) for grouping in GROUPINGS}
    order = [tier for tier in scheme if tier in groups["tier"].index]
    groups["tier"] = groups["tier"].loc[order + sorted(set(groups["tier"].index) - set(order))]
    return CatalogSummary(catalog.source, catalog.rows, tuple(catalog.segments), scheme,
                          _plain_row(_statistics(frame)), groups)


def _measures(catalog: Catalog, scheme: Mapping[str, float]) -> pd.DataFrame:
    frame = catalog.frame[["platform", "niche", "followers", "engagement_rate", "cost_per_post"]].copy()
    frame["tier"] = catalog.tiers(scheme)
    engagements = catalog.engagements_per_post
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["cpe"] = np.where(engagements > 0, frame["cost_per_post"].to_numpy() / engagements, np.nan)
    frame["share"] = 1.0 / len(frame)
    return frame


def _statistics(frame: pd.DataFrame) -> pd.Series:
    medians = frame[["followers", "engagement_rate", "cost_per_post", "cpe"]].median()
    return pd.concat([pd.Series({"influencers": len(frame), "share": frame["share"].sum()}), medians])[
        list(STATISTICS)]


def _grouped(frame: pd.DataFrame, grouping: str) -> pd.DataFrame:
    grouped = frame.groupby(grouping, sort=True)
    table = grouped[["followers", "engagement_rate", "cost_per_post", "cpe"]].median()
    table.insert(0, "share", grouped["share"].sum())
    table.insert(0, "influencers", grouped.size())
    table = table.sort_values("influencers", ascending=False, kind="stable")
    table.index = table.index.astype(str)
    return table[list(STATISTICS)]


def _plain_row(row: pd.Series) -> dict[str, Any]:
    """A row as Python numbers: the count an int, NaN as None."""
    data = {key: (None if pd.isna(value) else float(value)) for key, value in row.items()}
    data["influencers"] = int(data["influencers"])
    return data
