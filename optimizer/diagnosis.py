"""What an infeasible scenario must relax, and by how much."""

from __future__ import annotations

from models.result import CatalogInfo, Objective, Result, SolverInfo, Totals
from optimizer.problem import Problem
from optimizer.report import scenario_info


def infeasible_result(problem: Problem, solver: SolverInfo) -> Result:
    """A Result with status infeasible, no allocation, and the diagnosis."""
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
        diagnosis=[],
    )
