"""Every Result is built here: from a verified plan (posts per catalog row; every figure from
the catalog), or, for an infeasible scenario, from its diagnosis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.catalog import Catalog
from models.catalog_rules import booking_prices
from models.columns import segments_of
from models.result import (CatalogInfo, ConstraintRow, CoverageRow, DiagnosisEntry, GroupRow, Objective, Result,
                           ScenarioInfo, SolverInfo, Totals)
from models.scenario import Scenario
from optimizer.audience import people_reached, unique_reach, view_rates
from optimizer.risk import risk_value

GROUP_COLUMNS = ("tier", "platform", "niche")


def plan_frame(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> pd.DataFrame:
    """Booked rows with posts, spend, reach, engagements and reach per segment, best first."""
    booked = np.flatnonzero(posts > 0)
    catalog, posts = catalog.subset(booked), posts[booked]        # every figure from the booked rows alone
    plan = catalog.frame[["id", "name", "platform", "niche", "followers"]].copy()
    plan.insert(3, "tier", catalog.tiers(scenario.tier_scheme))
    plan["posts"] = posts.astype(np.int64)
    cost, fee = booking_prices(catalog, scenario)
    plan["spend"] = cost * posts + fee
    reached = _reached(catalog, scenario, posts)
    plan["reach"] = reached(catalog.audience)
    plan["engagements"] = catalog.engagements_per_post * posts
    with np.errstate(divide="ignore", invalid="ignore"):
        plan["cpe"] = np.where(plan["engagements"] > 0, plan["spend"] / plan["engagements"], np.nan)
    if scenario.unique:
        plan["impressions"] = catalog.audience * view_rates(catalog, scenario) * posts
    for segment in catalog.segments:
        plan[f"reach_{segment}"] = reached(catalog.segment_audience(segment))
    return plan.sort_values(["engagements", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _reached(catalog: Catalog, scenario: Scenario, posts: np.ndarray):
    """Each row's reach from an audience column: A once (gross), or r(x) = A (1 - (1 - v)^x) with [audience]."""
    if not scenario.unique:
        return lambda audience: audience
    rates = view_rates(catalog, scenario)
    return lambda audience: people_reached(audience, rates, posts)


def objective_value(catalog: Catalog, scenario: Scenario, plan: pd.DataFrame) -> float:
    """The scenario's objective recomputed from the plan (with [audience]: U, or sum_k w_k U_k over
    audience.segments)."""
    metric = scenario.objective.metric
    if scenario.unique and metric in ("reach", "targeted_reach"):
        audience = scenario.audience
        if metric == "reach":
            return unique_reach(audience.population, plan["reach"].to_numpy(float))
        weights = scenario.objective.segment_weights
        return float(sum(weights.get(s, 1.0) * unique_reach(people, plan[f"reach_{s}"].to_numpy(float))
                         for s, people in audience.segments.items()))
    if metric == "engagements":
        return float(plan["engagements"].sum())
    if metric == "reach":
        return float(plan["reach"].sum())
    if metric == "targeted_reach":
        weights = scenario.objective.segment_weights
        return float(sum(weights.get(s, 1.0) * plan[f"reach_{s}"].sum() for s in catalog.segments))
    return float(plan["spend"].sum())


def build_result(catalog: Catalog, scenario: Scenario, posts: np.ndarray, *, status: str, bound: float | None,
                 eligible: int, constraints: list[ConstraintRow], solver: SolverInfo) -> Result:
    """A Result whose numbers all come from the plan and the catalog (with risk, the objective is the
    risk objective on the optimization runs, the figure the bound proves)."""
    plan = plan_frame(catalog, scenario, posts)
    value = (risk_value(catalog, scenario, posts) if scenario.objective.risk is not None
             else objective_value(catalog, scenario, plan))
    return Result(
        scenario=scenario_info(scenario),
        catalog=catalog_info(catalog, eligible),
        status=status,
        objective=_objective(scenario, value, bound),
        totals=_totals(plan, scenario),
        groups={column: _groups(plan, column) for column in GROUP_COLUMNS},
        coverage=_coverage(catalog, scenario, plan, constraints),
        constraints=constraints,
        allocation_records=_records(plan),
        solver=solver,
    )


def infeasible_result(catalog: Catalog, scenario: Scenario, *, eligible: int, diagnosis: list[DiagnosisEntry],
                      solver: SolverInfo) -> Result:
    """A Result with status infeasible, no allocation, and the diagnosis."""
    return Result(
        scenario=scenario_info(scenario),
        catalog=catalog_info(catalog, eligible),
        status="infeasible",
        objective=Objective(scenario.objective.sense, scenario.objective.metric, None, None, None,
                            "unique" if scenario.unique else "gross"),
        totals=Totals(0.0, 0, 0, 0.0, 0.0, None, None),
        groups={column: [] for column in GROUP_COLUMNS},
        coverage=[],
        constraints=[],
        allocation_records=[],
        solver=solver,
        diagnosis=diagnosis,
    )


def catalog_info(catalog: Catalog, eligible: int) -> CatalogInfo:
    """Where the catalog came from (a file's absolute, resolved path and the sha256 of its bytes)."""
    path = str(catalog.path.resolve()) if catalog.path is not None else catalog.source
    return CatalogInfo(path, catalog.rows, eligible, catalog.sha256)


def scenario_info(scenario: Scenario) -> ScenarioInfo:
    return ScenarioInfo(scenario.name, str(scenario.path) if scenario.path else None, scenario.sha256,
                        scenario.currency)


def _objective(scenario: Scenario, value: float, bound: float | None) -> Objective:
    """Value and proven bound in the scenario's own sense; the gap never negative, and None where the
    plan is worth 0 and the bound is not (no gap relative to 0)."""
    sense, metric = scenario.objective.sense, scenario.objective.metric
    model = "unique" if scenario.unique else "gross"
    if bound is None:
        return Objective(sense, metric, value, None, None, model)
    bound = max(bound, value) if sense == "maximize" else min(bound, value)
    gap = abs(bound - value) / abs(value) if value else (0.0 if bound == value else None)
    return Objective(sense, metric, value, bound, gap, model)


def _totals(plan: pd.DataFrame, scenario: Scenario) -> Totals:
    spend, reach, engagements = (float(plan[c].sum()) for c in ("spend", "reach", "engagements"))
    unique = impressions = frequency = None
    if scenario.unique:
        unique = unique_reach(scenario.audience.population, plan["reach"].to_numpy(float))
        impressions = float(plan["impressions"].sum())
        frequency = impressions / unique if unique > 0 else None
    return Totals(
        spend=spend, posts=int(plan["posts"].sum()), influencers=len(plan), reach=reach, engagements=engagements,
        cpe=spend / engagements if engagements > 0 else None,
        cpm=1000 * spend / reach if reach > 0 else None,
        unique_reach=unique, impressions=impressions, frequency=frequency,
    )


def _groups(plan: pd.DataFrame, column: str) -> list[GroupRow]:
    total = float(plan["spend"].sum())
    summary = plan.groupby(column, sort=True).agg(
        influencers=("id", "size"), posts=("posts", "sum"), spend=("spend", "sum"),
        reach=("reach", "sum"), engagements=("engagements", "sum"))
    return [
        GroupRow(str(value), int(row.influencers), int(row.posts), float(row.spend),
                 float(row.spend) / total if total > 0 else 0.0, float(row.reach), float(row.engagements))
        for value, row in summary.iterrows()
    ]


def _coverage(catalog: Catalog, scenario: Scenario, plan: pd.DataFrame,
              constraints: list[ConstraintRow]) -> list[CoverageRow]:
    """Every catalog segment, then every union of segments with a floor: achieved reach, with the floor
    where the scenario sets one; with [audience] its unique reach and population, with dropouts the
    floor's worst case (as checked)."""
    populations = scenario.audience.segments if scenario.unique else {}
    worst = {row.name: row.worst_case for row in constraints}
    unions = [s for s in scenario.coverage if s not in catalog.segments]
    return [
        CoverageRow(s, scenario.coverage[s].min_reach if s in scenario.coverage else None,
                    float(sum(plan[f"reach_{part}"].sum() for part in segments_of(s))),
                    unique_reach(populations[s], plan[f"reach_{s}"].to_numpy(float)) if s in populations else None,
                    populations.get(s), worst.get(f"coverage.{s}"))
        for s in [*catalog.segments, *unions]
    ]


def _records(plan: pd.DataFrame) -> list[dict]:
    columns = ["id", "name", "platform", "tier", "niche", "followers", "posts", "spend", "reach", "engagements", "cpe"]
    records = plan[columns].astype(object).where(plan[columns].notna(), None).to_dict("records")
    for record in records:
        record["followers"], record["posts"] = int(record["followers"]), int(record["posts"])
        for key in ("spend", "reach", "engagements", "cpe"):
            if record[key] is not None:
                record[key] = float(record[key])
    return records
