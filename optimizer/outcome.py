"""What a solve path hands back: a status, the posts of each eligible influencer, a bound."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Outcome:
    status: str                  # optimal | time_limit | infeasible | no_solution
    posts: np.ndarray | None     # per eligible influencer
    bound: float | None          # proven upper bound, maximize form
    build_seconds: float
    solve_seconds: float


def within_gap(objective: float, gap: float) -> float:
    """The bound up to which `objective` is optimal within the relative `gap` (a hair inside it, so
    that the gap reported from that bound never rounds above `gap`)."""
    return objective + gap * abs(objective) * (1 - 1e-9)
