"""Properties of every reported plan on random catalogs (5..40 rows) and random scenarios."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import KINDS, OBJECTIVES, make_catalog, make_scenario, random_frame, random_scenario
from reference import Reference, close, greedy_engagements, posts_vector
from optimizer import solve
from optimizer.verify import violations

GAP = 1e-6
PROFILE = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, objectives=OBJECTIVES):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(5, 40))
    objective = draw(st.sampled_from(objectives))
    kinds = draw(st.sets(st.sampled_from(KINDS), max_size=6))
    tier_column = draw(st.booleans())
    rng = np.random.default_rng(seed)
    frame = random_frame(rng, n, max_posts_high=4, zero_cost=0.03, tier_column=tier_column)
    spec = random_scenario(rng, frame, objective, kinds, gap=GAP)
    return frame, spec


def describe(frame, spec) -> str:
    return f"scenario {spec}\ncatalog\n{frame.to_string()}"


@PROFILE
@given(instances(), st.sampled_from(["fast", "plain"]))
def test_reported_plans_hold_every_rule(case, method):
    frame, spec = case
    result = solve(make_catalog(frame), make_scenario(spec), method=method)
    context = describe(frame, spec)
    if result.status == "infeasible":
        assert result.allocation.empty and result.objective.value is None
        return
    assert result.status == "optimal", context
    catalog = make_catalog(frame)
    scenario = make_scenario(spec)
    plan = posts_vector(result, frame)
    assert violations(catalog, scenario, plan) == [], context
    reference = Reference(frame, spec)
    assert reference.feasible(plan[None, :])[0], context
    assert close(float(reference.objective(plan[None, :])[0]), result.objective.value, rel=1e-9), context

    cost = frame["cost_per_post"].to_numpy(float)
    spend = float(plan @ cost)
    if "max" in spec.get("budget", {}):
        assert spend <= spec["budget"]["max"] * (1 + 1e-9) + 1e-9, context
    share = spec.get("diversity", {}).get("max_share_per_influencer")
    if share is not None and spend > 0:
        assert (plan * cost).max() <= share * spend * (1 + 1e-9) + 1e-9, context
    for column, groups in spec.get("limits", {}).items():
        values = reference.columns[column]
        for value, limit in groups.items():
            group = float(plan[values == value] @ cost[values == value])
            if "max_share" in limit:
                assert group <= limit["max_share"] * spend * (1 + 1e-9) + 1e-9, context
            if "min_share" in limit:
                assert group >= limit["min_share"] * spend * (1 - 1e-9) - 1e-9, context
    if result.objective.bound is not None:
        if result.objective.sense == "maximize":
            assert result.objective.bound >= result.objective.value - 1e-9
        else:
            assert result.objective.bound <= result.objective.value + 1e-9
        # within the scenario's relative gap (HiGHS also stops at an absolute gap of 1e-6)
        slack = abs(result.objective.bound - result.objective.value)
        assert slack <= 1.01 * GAP * abs(result.objective.value) + 1e-6, context


@PROFILE
@given(instances())
def test_json_totals_recompute_from_the_allocation(case):
    frame, spec = case
    result = solve(make_catalog(frame), make_scenario(spec))
    document = json.loads(result.to_json())
    assert document["schema_version"] == 2
    assert document["status"] == result.status
    if result.status == "infeasible":
        assert document["allocation"] == [] and "diagnosis" in document
        return
    allocation = document["allocation"]
    by_id = frame.set_index("id")
    spend = posts = reach = engagements = 0.0
    for row in allocation:
        source = by_id.loc[row["id"]]
        assert isinstance(row["posts"], int) and 1 <= row["posts"] <= source["max_posts"]
        assert row["spend"] == pytest.approx(row["posts"] * source["cost_per_post"], rel=1e-12, abs=1e-9)
        assert row["reach"] == pytest.approx(source["followers"] * source["authenticity"], rel=1e-12)
        assert row["engagements"] == pytest.approx(row["posts"] * source["followers"] * source["engagement_rate"],
                                                   rel=1e-12)
        spend += row["spend"]
        posts += row["posts"]
        reach += row["reach"]
        engagements += row["engagements"]
    totals = document["totals"]
    assert totals["spend"] == pytest.approx(spend, rel=1e-12, abs=1e-9)
    assert totals["posts"] == posts and totals["influencers"] == len(allocation)
    assert totals["reach"] == pytest.approx(reach, rel=1e-12, abs=1e-9)
    assert totals["engagements"] == pytest.approx(engagements, rel=1e-12, abs=1e-9)
    if engagements > 0:
        assert totals["cpe"] == pytest.approx(spend / engagements, rel=1e-12)
    else:
        assert totals["cpe"] is None
    if reach > 0:
        assert totals["cpm"] == pytest.approx(1000 * spend / reach, rel=1e-12)
    for column in ("tier", "platform", "niche"):
        assert sum(g["spend"] for g in document["groups"][column]) == pytest.approx(spend, rel=1e-9, abs=1e-9)
        assert sum(g["influencers"] for g in document["groups"][column]) == len(allocation)
    constraints = {c["name"]: c for c in document["constraints"]}
    if "max" in spec.get("budget", {}):
        assert constraints["budget.max"]["lhs"] == pytest.approx(spend, rel=1e-9, abs=1e-9)
        assert constraints["budget.max"]["rhs"] == spec["budget"]["max"]


@PROFILE
@given(instances(objectives=("engagements",)))
def test_engagements_never_below_a_feasible_greedy_plan(case):
    frame, spec = case
    reference = Reference(frame, spec)
    greedy = greedy_engagements(reference, spec["budget"]["max"])
    result = solve(make_catalog(frame), make_scenario(spec))
    if not reference.feasible(greedy[None, :])[0]:
        return
    greedy_value = float(reference.objective(greedy[None, :])[0])
    assert result.status == "optimal", f"greedy {greedy} is feasible\n{describe(frame, spec)}"
    assert result.objective.value >= greedy_value * (1 - GAP) - 1e-6, (
        f"greedy {greedy_value} > {result.objective.value}\n{describe(frame, spec)}")
