"""What an infeasible scenario must relax, and by how much.

Three steps, cheapest first:

1. Structural conflicts, found with numpy before any solve (conflicts.py).
2. An elastic model where every scenario constraint may move: the fewest constraints to
   relax, then the smallest relaxation (elastic.py).
3. One follow-up solve per relaxed constraint: the closest value it can take (elastic.py).

Entries are dicts `{"constraint", "asked", "achievable", "message"}`; structural conflicts
come first.
"""

from __future__ import annotations

from models.result import CatalogInfo, Objective, Result, SolverInfo, Totals
from optimizer.conflicts import LOWER, UPPER, make_entry, num, structural_conflicts
from optimizer.elastic import minimal_relaxation
from optimizer.problem import Problem
from optimizer.report import scenario_info


def infeasible_result(problem: Problem, solver: SolverInfo, diagnose_it: bool = True) -> Result:
    """A Result with status infeasible, no allocation, and the diagnosis (unless not wanted)."""
    scenario, catalog = problem.scenario, problem.catalog
    return Result(
        scenario=scenario_info(scenario),
        catalog=CatalogInfo(catalog.source, catalog.rows, problem.n),
        status="infeasible",
        objective=Objective(scenario.objective.sense, scenario.objective.metric, None, None, None),
        totals=Totals(0.0, 0, 0, 0.0, 0.0, None, None),
        groups={"tier": [], "platform": [], "niche": []},
        coverage=[],
        constraints=[],
        allocation_records=[],
        solver=solver,
        diagnosis=diagnose(problem) if diagnose_it else [],
    )


def diagnose(problem: Problem) -> list[dict]:
    """The diagnosis entries: structural conflicts first, then the minimal relaxation."""
    entries = structural_conflicts(problem)
    merged = {_key(entry): entry for entry in entries}
    try:
        relaxation = minimal_relaxation(problem)
    except RuntimeError as error:     # a solver status the backend does not know: keep what is known
        relaxation = [] if entries else [make_entry("scenario", None, None, f"the diagnosis failed: {error}")]
    for entry in relaxation:
        known = merged.get(_key(entry))
        if known is None:
            entries.append(entry)
            merged[_key(entry)] = entry
        elif _tighter(entry, known):
            known["achievable"] = entry["achievable"]
            known["message"] += (f"; at most {num(entry['achievable'])} with every other constraint held"
                                 if entry.get("_sense") == LOWER else
                                 f"; the other constraints need at least {num(entry['achievable'])}")
    if not entries:
        entries.append(make_entry("scenario", None, None,
                                  "the solver found no plan, yet no constraint needs relaxing: a numerical problem; "
                                  "try the other solver (--solver cbc) or rescale the numbers"))
    return [{k: v for k, v in entry.items() if not k.startswith("_")} for entry in entries]


def _key(entry: dict) -> tuple:
    return entry["constraint"], entry.get("_id")


def _tighter(new: dict, old: dict) -> bool:
    """Whether a relaxation's closest value says more than a structural count does."""
    if new["achievable"] is None or old["achievable"] is None or new["constraint"] == "selection.include":
        return False
    if new.get("_sense") == UPPER:
        return new["achievable"] > old["achievable"] + 1e-9
    return new["achievable"] < old["achievable"] - 1e-9
