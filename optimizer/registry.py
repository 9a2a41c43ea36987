"""Every scenario constraint kind: the scenario keys it serves, its builder, its independent check.

The model builds its rows from `KINDS` in this order and the verifier checks a plan with
them in the same order, so the Result's `constraints` list follows it. A new kind is one
builder in optimizer/constraints.py, one check in optimizer/checks.py and one line here
(docs/reference.md "Adding a constraint kind"). The floors (targets, coverage) go through
optimizer/floors.py and floor_checks.py, which add [audience] and [robustness] and otherwise
hand over to constraints.py and checks.py unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models.result import ConstraintRow
from optimizer import checks, constraints, floor_checks, floors
from optimizer.checks import Plan
from optimizer.constraints import Layout
from optimizer.milp import RowBlock
from optimizer.problem import Problem


@dataclass(frozen=True)
class Kind:
    keys: str                                                     # the scenario keys, as a reader looks them up
    build: Callable[[Problem, Layout], RowBlock | None]           # its rows in the model
    check: Callable[[Plan], list[ConstraintRow]]                  # its rows in the Result, from the plan alone


KINDS = (
    Kind("budget.min, budget.max", constraints.budget, checks.budget),
    Kind("targets.engagements, targets.reach, targets.impressions", floors.targets, floor_checks.targets),
    Kind("coverage.<segment>.min_reach (named coverage.<segment>)", floors.coverage, floor_checks.coverage),
    Kind("targets.max_cpe", constraints.max_cpe, checks.max_cpe),
    Kind("diversity.max_share_per_influencer", constraints.per_influencer, checks.per_influencer),
    Kind("diversity.min_influencers, diversity.max_influencers", constraints.influencer_count,
         checks.influencer_count),
    Kind("limits.<column>.<value>.{min_share, max_share, min_count, max_count}", constraints.group_limits,
         checks.group_limits),
    Kind("diversity.min_distinct.<column>", constraints.distinct, checks.distinct),
)
