"""Follower tiers: a scheme maps each tier name to its lower bound of followers."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DEFAULT_TIERS: dict[str, float] = {
    "nano": 0,
    "micro": 10_000,
    "mid": 50_000,
    "macro": 500_000,
    "mega": 1_000_000,
}


def ordered(scheme: Mapping[str, float]) -> dict[str, float]:
    """The scheme sorted by lower bound (ties keep file order)."""
    return dict(sorted(scheme.items(), key=lambda item: item[1]))


def derive_tiers(followers: np.ndarray, scheme: Mapping[str, float]) -> np.ndarray:
    """Name of the last tier whose lower bound is <= followers; the smallest tier below its bound."""
    tiers = ordered(scheme)
    names = np.array(list(tiers), dtype=object)
    bounds = np.array(list(tiers.values()), dtype=float)
    position = np.searchsorted(bounds, np.asarray(followers, dtype=float), side="right") - 1
    return names[np.clip(position, 0, len(names) - 1)]
