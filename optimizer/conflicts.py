"""Step 1 of the diagnosis: the structural conflicts, found with numpy before any solve.

An included id that alone costs more than budget.max (or than its max_share_per_influencer
of it), included ids that together do, more included ids than max_influencers or a group's
max_count allows, fewer eligible creators than min_influencers or a group's min_count asks,
fewer distinct values than min_distinct asks. Each names the filters and exclusions that
shrank the eligible set.
"""

from __future__ import annotations

import numpy as np

from models.catalog_rules import catalog_categories, filter_masks, named_cells
from optimizer.audience import floor_keys, floor_wanted
from optimizer.findings import Finding, num
from optimizer.milp import LOWER, UPPER
from optimizer.problem import ROUNDING, Problem


def structural_conflicts(problem: Problem) -> list[Finding]:
    """Conflicts visible from counts and prices alone, without a solve."""
    scenario = problem.scenario
    diversity, budget = scenario.diversity, scenario.budget.max
    ids = problem.catalog.frame["id"].to_numpy(object)[problem.positions]
    included = np.flatnonzero(problem.included)
    entries = []
    share = diversity.max_share_per_influencer
    single = False
    first_post = problem.cost + problem.fee     # booking one post: its price and the creator's fee
    if budget is not None:
        for i in included:
            cost = float(first_post[i])
            if cost > budget * (1 + ROUNDING):
                entries.append(Finding("selection.include", 1, 0, f"selection.include: {ids[i]} costs {num(cost)} "
                                          f"per post, more than budget.max {num(budget)}", side=LOWER, ident=ids[i]))
                single = True
            elif share is not None and cost > share * budget * (1 + ROUNDING):
                entries.append(Finding("selection.include", 1, 0, f"selection.include: {ids[i]} costs {num(cost)} "
                                          f"per post, more than diversity.max_share_per_influencer {num(share)} of "
                                          f"budget.max {num(budget)} ({num(share * budget)})", side=LOWER, ident=ids[i]))
                single = True
        together = np.sort(first_post[included])
        if not single and together.sum() > budget * (1 + ROUNDING):
            fit = int(np.searchsorted(np.cumsum(together), budget * (1 + ROUNDING), side="right"))
            entries.append(Finding("selection.include", len(included), fit,
                                      f"selection.include: the {len(included)} included ids cost {num(together.sum())} "
                                      f"together (one post each), more than budget.max {num(budget)}; "
                                      f"at most {fit} of them fit", side=LOWER))
    if diversity.max_influencers is not None and len(included) > diversity.max_influencers:
        entries.append(Finding("diversity.max_influencers", diversity.max_influencers, len(included),
                                  f"diversity.max_influencers: asked at most {diversity.max_influencers}, "
                                  f"but selection.include books {len(included)}", side=UPPER))
    if diversity.min_influencers is not None and problem.n < diversity.min_influencers:
        entries.append(Finding("diversity.min_influencers", diversity.min_influencers, problem.n,
                                  f"diversity.min_influencers: asked {diversity.min_influencers}, only "
                                  f"{_creators(problem.n)} eligible{_eligibility(problem)}", side=LOWER))
    for column, groups in scenario.limits.items():
        member = problem.categories[column] == np.array(list(groups), dtype=object)[:, None] if groups else None
        for k, (value, limit) in enumerate(groups.items()):
            name = f"limits.{column}.{value}"
            eligible = int(member[k].sum())
            forced = int((member[k] & problem.included).sum())
            if limit.min_count is not None and eligible < limit.min_count:
                in_catalog = catalog_categories(problem.catalog, scenario)[column] == value
                entries.append(Finding(f"{name}.min_count", limit.min_count, eligible,
                                          f"{name}.min_count: asked {limit.min_count}, only {_creators(eligible)} in "
                                          f"{column} {value} eligible{_eligibility(problem, in_catalog)}", side=LOWER))
            if limit.max_count is not None and forced > limit.max_count:
                entries.append(Finding(f"{name}.max_count", limit.max_count, forced,
                                          f"{name}.max_count: asked at most {limit.max_count}, but selection.include "
                                          f"books {_creators(forced)} in {column} {value}", side=UPPER))
    entries += _dropout_conflict(problem)
    for column, floor in diversity.min_distinct.items():
        cells = problem.categories[column]
        present = len(set(cells[named_cells(cells)].astype(str)))
        if present < floor:
            entries.append(Finding(f"diversity.min_distinct.{column}", floor, present,
                                      f"diversity.min_distinct.{column}: asked {floor}, the eligible creators have "
                                      f"only {present} distinct {column} values{_eligibility(problem)}", side=LOWER))
    return entries


def _dropout_conflict(problem: Problem) -> list[Finding]:
    """[robustness] dropouts as many as the creators a plan can book: every floor above 0 loses them all."""
    scenario = problem.scenario
    dropouts = scenario.robustness.dropouts
    floors = [key for key in floor_keys(scenario) if floor_wanted(scenario, key) > 0]
    bookable = min(problem.n, scenario.diversity.max_influencers if scenario.diversity.max_influencers is not None
                   else problem.n)
    if dropouts == 0 or not floors or dropouts < bookable:
        return []
    return [Finding("robustness.dropouts", dropouts, max(bookable - 1, 0),
                    f"robustness.dropouts: asked {dropouts}, but a plan books at most {_creators(bookable)}, so "
                    f"{', '.join(floors)} would have to hold with none of them; at most {max(bookable - 1, 0)} "
                    f"dropouts can be survived{_eligibility(problem)}", side=UPPER)]


def _eligibility(problem: Problem, among: np.ndarray | None = None) -> str:
    """' (of N in the catalog: filters.x removes a, selection.exclude removes b)': what shrank the
    eligible set (rows `among`), or '' when nothing did."""
    scenario, frame = problem.scenario, problem.catalog.frame
    among = np.ones(len(frame), dtype=bool) if among is None else among
    ids = frame["id"].to_numpy(object)
    forced = np.isin(ids, list(scenario.selection.include))
    masks = filter_masks(problem.catalog, scenario, catalog_categories(problem.catalog, scenario))
    parts = [f"filters.{key} removes {removed}" for key, passes in masks.items()
             if (removed := int((among & ~forced & ~passes).sum()))]
    excluded = int((among & np.isin(ids, list(scenario.selection.exclude))).sum())
    if excluded:
        parts.append(f"selection.exclude removes {excluded}")
    if not parts:
        return ""
    return f" (of {int(among.sum())} in the catalog: {', '.join(parts)})"


def _creators(count: int) -> str:
    return f"{count} creator{'' if count == 1 else 's'}"
