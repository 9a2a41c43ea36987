"""The Result of a solve (docs/reference.md "Result"): plain data that renderers read."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

SCHEMA_VERSION = 2
ALLOCATION_COLUMNS = [
    "id", "name", "platform", "tier", "niche", "followers",
    "posts", "spend", "reach", "engagements", "cpe",
]


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    path: str | None
    sha256: str
    currency: str


@dataclass(frozen=True)
class CatalogInfo:
    path: str | None    # absolute and resolved for a file; the name given to Catalog.from_frame otherwise
    rows: int
    eligible: int
    sha256: str | None = None   # of the file's bytes; None for a DataFrame catalog


@dataclass(frozen=True)
class Objective:
    sense: str          # maximize | minimize
    metric: str         # engagements | reach | targeted_reach | cost
    value: float | None
    bound: float | None  # the solver's proven best possible value
    gap: float | None    # |bound - value| / |value|
    reach_model: str = "gross"   # gross | unique ([audience]: reach is unique reach U)


@dataclass(frozen=True)
class Totals:
    spend: float
    posts: int
    influencers: int
    reach: float
    engagements: float
    cpe: float | None   # spend / engagements
    cpm: float | None   # 1000 * spend / reach
    unique_reach: float | None = None   # [audience]: U, people reached at least once
    impressions: float | None = None    # [audience]: sum_i A_i v_i x_i
    frequency: float | None = None      # [audience]: impressions / unique_reach


@dataclass(frozen=True)
class GroupRow:
    value: str
    influencers: int
    posts: int
    spend: float
    share: float        # of total spend
    reach: float
    engagements: float


@dataclass(frozen=True)
class CoverageRow:
    segment: str
    target: float | None
    achieved: float                     # gross reach in the segment (r_ik summed with [audience])
    unique_reach: float | None = None   # [audience]: U_k, the measure the floor applies to
    population: float | None = None     # [audience]: N_k
    worst_case: float | None = None     # [robustness]: the floor's measure after the worst dropouts


@dataclass(frozen=True)
class ConstraintRow:
    name: str
    lhs: float
    sense: str          # <= | >= | ==
    rhs: float
    slack: float        # how far the plan is from the bound (>= 0 when satisfied; after dropouts for a robust floor)
    binding: bool
    worst_case: float | None = None   # [robustness]: the floor's value after the worst dropouts


@dataclass(frozen=True)
class DiagnosisEntry:
    """One thing to relax in an infeasible scenario (docs/reference.md "Diagnosis")."""

    constraint: str            # the scenario key to relax, e.g. "budget.max" ("scenario" when no key is to blame)
    asked: float | None        # what the scenario asks
    achievable: float | None   # the closest value a plan can reach with the other constraints held
    message: str               # the same in a planner's words


@dataclass(frozen=True)
class OutcomeRange:
    """One figure over the simulation runs (SPEC section 10)."""

    mean: float
    p10: float
    p50: float
    p90: float


@dataclass(frozen=True)
class FloorChance:
    name: str           # the scenario key: targets.engagements | targets.reach | coverage.<segment>.min_reach
    target: float
    chance: float       # share of the runs that meet the floor


@dataclass(frozen=True)
class RiskOutcome:
    """The risk objective's figure on the simulation runs (out of sample: the model's runs are drawn apart)."""

    metric: str         # engagements | reach
    cvar: float         # the worst share of runs averaged
    weight: float
    mean: float         # mean of the metric over the simulation runs
    cvar_value: float   # mean of its worst `cvar` share (the boundary run weighted fractionally)


@dataclass(frozen=True)
class Outcomes:
    """What the plan delivers over `runs` Monte Carlo runs; `skipped` says why no run was made."""

    runs: int
    seed: int
    engagements: OutcomeRange | None
    reach: OutcomeRange | None
    coverage: dict[str, OutcomeRange]   # floored segments only
    floors: list[FloorChance]
    skipped: str | None = None
    risk: RiskOutcome | None = None     # with [objective] risk only


@dataclass(frozen=True)
class PostsChange:
    id: str
    before: int
    after: int


@dataclass(frozen=True)
class Changes:
    """Against the previous plan of `solve --previous` (SPEC section 11)."""

    added: list[str]                  # booked now, not before
    dropped: list[str]                # booked before, not now (ids no longer eligible too)
    posts_changed: list[PostsChange]  # booked in both, with other post counts

    @property
    def count(self) -> int:
        """Creators added or dropped: what replan.max_changes limits."""
        return len(self.added) + len(self.dropped)


@dataclass(frozen=True)
class SolverInfo:
    name: str
    method: str         # fast | plain
    build_seconds: float
    solve_seconds: float


@dataclass(frozen=True)
class Result:
    scenario: ScenarioInfo
    catalog: CatalogInfo
    status: str         # optimal | time_limit | infeasible
    objective: Objective
    totals: Totals
    groups: dict[str, list[GroupRow]]
    coverage: list[CoverageRow]
    constraints: list[ConstraintRow]
    allocation_records: list[dict[str, Any]]
    solver: SolverInfo
    diagnosis: list[DiagnosisEntry] = field(default_factory=list)
    outcomes: Outcomes | None = None    # None: [simulation] runs = 0, or no plan
    changes: Changes | None = None      # None: no previous plan (solve --previous), or no plan
    schema_version: int = SCHEMA_VERSION

    @property
    def allocation(self) -> pd.DataFrame:
        """Booked influencers, one row each, in the columns of docs/reference.md "Result" (then any
        catalog columns kept with keep_columns)."""
        kept = [key for key in self.allocation_records[0] if key not in ALLOCATION_COLUMNS] \
            if self.allocation_records else []
        return pd.DataFrame(self.allocation_records, columns=ALLOCATION_COLUMNS + kept)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of docs/reference.md "Result" as Python data."""
        data = asdict(self)
        data["allocation"] = data.pop("allocation_records")
        if self.status != "infeasible":
            data.pop("diagnosis")
        order = ["schema_version", "scenario", "catalog", "status", "objective", "totals",
                 "changes", "groups", "coverage", "outcomes", "constraints", "allocation", "diagnosis", "solver"]
        return {key: _finite(data[key]) for key in order if key in data}

    def to_json(self, indent: int | None = 2) -> str:
        """One JSON document (NaN and infinity never appear: they become null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _finite(value: Any) -> Any:
    """Replace non-finite floats by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
