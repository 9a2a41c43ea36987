"""Re-planning against a previous plan (SPEC section 11, docs/reference.md "Re-planning").

The previous plan is `scenario.replan.previous` (id -> posts). A change is a creator added or
dropped; a previous creator who is no longer eligible (excluded, filtered out, gone from the
catalog) is dropped and counts. With p_i = 1 for the previously booked eligible creators and
G the previous ids that are not eligible:

    changes = sum_{p_i=0} y_i + sum_{p_i=1} (1 - y_i) + G <= replan.max_changes

one row `sum_i (1 - 2 p_i) y_i <= max_changes - sum_i p_i - G` (its Bound's offset turns the
activity back into changes for the diagnosis); each id of replan.keep is a row y_i >= 1.
The check counts the changes again from the ids alone.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from models.catalog import Catalog
from models.errors import ScenarioError, listed
from models.plans import read_plan
from models.result import Changes, ConstraintRow, PostsChange
from models.scenario import Scenario
from optimizer.checks import Plan, row
from optimizer.constraints import Layout, _row
from optimizer.milp import LOWER, UPPER, Bound, RowBlock, stack
from optimizer.problem import Problem

Previous = str | Path | dict[str, int]   # a plan file, or id -> posts


def with_previous(catalog: Catalog, scenario: Scenario, previous: Previous | None) -> Scenario:
    """The scenario with replan.previous set from a plan file or a dict (unchanged for None);
    warns on [replan] without a previous plan and on previous ids the catalog lacks (they
    count as dropped)."""
    if previous is not None:
        scenario = scenario.override(
            {"replan.previous": read_plan(previous) if isinstance(previous, (str, Path)) else dict(previous)})
    plan = scenario.replan.previous
    if plan is None:
        if "replan" in scenario.model_fields_set:
            warnings.warn(_where(scenario) + "[replan] needs a previous plan (--previous); ignored", stacklevel=3)
        return scenario
    unknown = sorted(set(plan) - set(catalog.frame["id"][catalog.frame["id"].isin(list(plan))]))
    if unknown:
        label = f"{previous}: " if isinstance(previous, (str, Path)) else _where(scenario) + "key replan.previous: "
        warnings.warn(f"{label}ids not in the catalog (counted as dropped): {listed(unknown)}", stacklevel=3)
    return scenario


def check_keep(catalog: Catalog, scenario: Scenario, positions: np.ndarray) -> None:
    """Every replan.keep id is in the previous plan and eligible; raises ScenarioError naming the key."""
    replan = scenario.replan
    if not replan.keep or replan.previous is None:
        return
    ids = catalog.frame["id"].to_numpy(object)
    eligible = set(ids[positions])
    problems = [f"{ident!r} is not in the previous plan (to book a new creator, use selection.include)"
                for ident in replan.keep if ident not in replan.previous]
    problems += [f"{ident!r} is not eligible (excluded, filtered out or not in the catalog)"
                 for ident in replan.keep if ident in replan.previous and ident not in eligible]
    if problems:
        raise ScenarioError(scenario.key_file("replan.keep"), [f"key replan.keep: {p}" for p in problems])


def rows(problem: Problem, layout: Layout) -> RowBlock | None:
    """changes <= replan.max_changes (one row over every y_i); y_i >= 1 for each replan.keep id."""
    replan = problem.scenario.replan
    if replan.previous is None:
        return None
    ids = problem.catalog.frame["id"].to_numpy(object)[problem.positions]
    blocks = []
    if replan.max_changes is not None:
        booked = np.isin(ids, list(replan.previous))
        offset = float(len(replan.previous))        # sum_i p_i + G: every previous id
        bound = Bound("replan.max_changes", UPPER, float(replan.max_changes), unit=" changes", offset=offset)
        blocks.append(_row(layout.y(), 1.0 - 2.0 * booked, upper=bound, hi=replan.max_changes - offset))
    for i in np.flatnonzero(np.isin(ids, replan.keep)):
        blocks.append(_row(layout.y(np.array([i])), np.ones(1),
                           lower=Bound("replan.keep", LOWER, 1.0, kind="include", ident=str(ids[i]))))
    return stack(blocks)


def check(plan: Plan) -> list[ConstraintRow]:
    """replan.max_changes: creators added or dropped against the previous plan, counted from the
    ids; replan.keep: the kept ids still booked."""
    replan = plan.scenario.replan
    if replan.previous is None:
        return []
    booked = set(plan.catalog.frame["id"].to_numpy(object)[plan.posts > 0])
    before = set(replan.previous)
    changes = len(booked - before) + len(before - booked)
    kept = sum(ident in booked for ident in replan.keep)
    return (row("replan.max_changes", changes, "<=", replan.max_changes)
            + row("replan.keep", kept, ">=", len(replan.keep) if replan.keep else None))


def plan_changes(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> Changes | None:
    """Who was added and dropped against the previous plan, and whose posts changed (None without one)."""
    previous = scenario.replan.previous
    if previous is None:
        return None
    ids = catalog.frame["id"].to_numpy(object)
    booked = np.flatnonzero(posts > 0)
    now = {str(ids[r]): int(posts[r]) for r in booked}
    return Changes(
        added=[ident for ident in now if ident not in previous],
        dropped=[ident for ident in previous if ident not in now],
        posts_changed=[PostsChange(ident, previous[ident], count) for ident, count in now.items()
                       if ident in previous and previous[ident] != count],
    )


def previously_booked(problem: Problem) -> np.ndarray:
    """The eligible influencers (positions) booked in the previous plan (none without one)."""
    previous = problem.scenario.replan.previous
    if not previous:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.isin(problem.catalog.frame["id"].to_numpy(object)[problem.positions], list(previous)))


def _where(scenario: Scenario) -> str:
    source = scenario.key_file("replan")
    return f"{source}: " if source else ""
