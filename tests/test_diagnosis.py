"""The diagnosis of an infeasible scenario: which constraints must move, and how far.

Each case is infeasible by construction with a known minimal relaxation (the arithmetic is
in the comments). The four creators of `rows()`, one post each:

    id  platform   followers  rate  cost  niche   aud_f  tier   E = f * rate  A_f = f * aud_f
    A   instagram     10,000    5%   300  beauty   0.5   micro        500        5,000
    B   instagram     40,000    3%   500  food     0.2   micro      1,200        8,000
    C   tiktok        20,000    3%   250  tech     0.1   micro        600        2,000
    D   youtube        8,000    6%   400  beauty   0.75  nano         480        6,000
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import KINDS, OBJECTIVES, influencer, make_catalog, make_scenario, random_frame, random_scenario
from models.result import DiagnosisEntry
from optimizer import solve
from optimizer.diagnosis import diagnose
from optimizer.problem import prepare

ENTRY_KEYS = {"constraint", "asked", "achievable", "message"}


def rows() -> list[dict]:
    return [influencer("A", 10_000, 0.05, 300, niche="beauty", aud_f=0.5),
            influencer("B", 40_000, 0.03, 500, niche="food", aud_f=0.2),
            influencer("C", 20_000, 0.03, 250, niche="tech", aud_f=0.1, platform="tiktok"),
            influencer("D", 8_000, 0.06, 400, niche="beauty", aud_f=0.75, platform="youtube")]


def diagnosis_of(spec: dict, catalog_rows: list[dict] | None = None, method: str = "fast") -> list[dict]:
    result = solve(make_catalog(catalog_rows or rows()), make_scenario(spec), method=method)
    assert result.status == "infeasible"
    assert result.allocation.empty and result.objective.value is None
    assert all(isinstance(entry, DiagnosisEntry) for entry in result.diagnosis)
    entries = [asdict(entry) for entry in result.diagnosis]
    for entry in entries:
        assert set(entry) == ENTRY_KEYS
        assert isinstance(entry["constraint"], str) and isinstance(entry["message"], str)
        assert entry["message"].startswith(entry["constraint"] + ":")
    document = json.loads(result.to_json())
    assert document["diagnosis"] == entries
    return entries


def entry(constraint, asked, achievable, message=None) -> dict:
    """An expected entry (numbers compared approximately; the message only when given)."""
    return {"constraint": constraint, "asked": pytest.approx(asked), "achievable": pytest.approx(achievable),
            "message": message}


def same(actual: list[dict], expected: list[dict]) -> None:
    assert [e["constraint"] for e in actual] == [e["constraint"] for e in expected], actual
    for got, want in zip(actual, expected):
        assert got["asked"] == want["asked"] and got["achievable"] == want["achievable"], got
        if want["message"] is not None:
            assert got["message"] == want["message"]


# --- only the budget is short ---------------------------------------------------------------------

BUDGET_SHORT = {"budget": {"max": 1000}, "targets": {"engagements": 2200}}
CHEAPEST = "budget.max: 1,000 too small; the cheapest plan meeting every other constraint costs 1,050"


@pytest.mark.parametrize("method", ["fast", "plain"])
def test_only_the_budget_is_short(method):
    # engagements >= 2,200: pairs reach at most B + C = 1,800; triples: A+B+C 2,300 for $1,050,
    # A+B+D 2,180 (too few), B+C+D 2,280 for $1,150; all four $1,450 -> the cheapest is $1,050.
    # Relaxing the budget (50 / 1,000 = 5%) beats relaxing the target (the most $1,000 buys is
    # B + C = 1,800: 400 / 2,200 = 18%).
    same(diagnosis_of(BUDGET_SHORT, method=method), [entry("budget.max", 1000, 1050, CHEAPEST)])


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_diagnosis_solves_with_the_scenarios_solver(solver):
    problem = prepare(make_catalog(rows()), make_scenario(dict(BUDGET_SHORT, solver={"name": solver})))
    assert [asdict(entry) for entry in diagnose(problem)] == [{"constraint": "budget.max", "asked": 1000, "achievable": 1050, "message": CHEAPEST}]


def test_cbc_reports_the_budget_short_case_as_infeasible():
    same(diagnosis_of(dict(BUDGET_SHORT, solver={"name": "cbc"})), [entry("budget.max", 1000, 1050, CHEAPEST)])


def test_budget_short_of_a_coverage_and_count_floor():
    # coverage f >= 12,000 with 3 creators: A+C+D = 13,000 for $950 is the cheapest triple
    # (A+B+C 15,000 $1,050; A+B+D 19,000 $1,200; B+C+D 16,000 $1,150); budget 900 -> 950.
    # Moving the floors instead: 2 creators within $900 reach at most A+B 13,000 (count 3 -> 2,
    # a third of the floor) and 3 creators within $900 do not exist.
    spec = {"budget": {"max": 900}, "coverage": {"f": {"min_reach": 12_000}}, "diversity": {"min_influencers": 3}}
    same(diagnosis_of(spec), [entry("budget.max", 900, 950)])


# --- a floor above what the catalog holds ----------------------------------------------------------

def test_coverage_above_the_whole_segment_audience():
    # the catalog's f audience: 5,000 + 8,000 + 2,000 + 6,000 = 21,000; the budget buys everyone
    spec = {"budget": {"max": 2000}, "coverage": {"f": {"min_reach": 25_000}}}
    same(diagnosis_of(spec), [
        entry("coverage.f", 25_000, 21_000, "coverage.f: asked 25,000, at most 21,000 reachable with budget 2,000")])


def test_a_floor_no_eligible_creator_can_move_is_named():
    """Only A and C eligible, neither with a segment g: coverage.g can reach nothing at all (its row is the
    constant 0). It was left out of the elastic model, and the diagnosis called the scenario numerical."""
    catalog = [{**row, "aud_g": 0.0 if row["id"] in ("A", "C") else 0.2} for row in rows()]
    spec = {"budget": {"max": 2000}, "coverage": {"g": {"min_reach": 1_000}}, "selection": {"exclude": ["B", "D"]}}
    same(diagnosis_of(spec, catalog), [entry("coverage.g", 1_000, 0)])
    spec["diversity"] = {"min_influencers": 3}      # with a structural conflict beside it, it is still named
    same(diagnosis_of(spec, catalog), [entry("diversity.min_influencers", 3, 2), entry("coverage.g", 1_000, 0)])


def test_a_target_with_nobody_eligible_is_named():
    spec = {"budget": {"max": 2000}, "targets": {"engagements": 100}, "filters": {"min_followers": 50_000}}
    with pytest.warns(UserWarning, match="no row of the catalog is eligible"):
        same(diagnosis_of(spec), [entry("targets.engagements", 100, 0)])


def test_coverage_reachable_within_the_budget():
    # within $800: A+B 13,000 ($800), A+D 11,000, B+C 10,000, ... -> 13,000. Raising the budget
    # alone cannot help (21,000 < 25,000), so the coverage is the one relaxation.
    spec = {"budget": {"max": 800}, "coverage": {"f": {"min_reach": 25_000}}}
    same(diagnosis_of(spec), [
        entry("coverage.f", 25_000, 13_000, "coverage.f: asked 25,000, at most 13,000 reachable with budget 800")])


def test_engagement_target_under_minimize_cost():
    # every post of every creator: 500 + 1,200 + 600 + 480 = 2,780 engagements
    spec = {"objective": {"minimize": "cost"}, "targets": {"engagements": 5000}}
    same(diagnosis_of(spec), [entry("targets.engagements", 5000, 2780,
                                    "targets.engagements: asked 5,000, at most 2,780 reachable with the other "
                                    "constraints held")])


def test_budget_min_above_every_post():
    # everything costs 300 + 500 + 250 + 400 = 1,450
    spec = {"objective": {"minimize": "cost"}, "targets": {"reach": 1000}, "budget": {"min": 1500}}
    same(diagnosis_of(spec), [entry("budget.min", 1500, 1450, "budget.min: 1,500 too large; a plan meeting every "
                                                              "other constraint spends at most 1,450")])


# --- filters, includes and counts: found before any solve --------------------------------------------

def test_min_influencers_above_the_eligible_creators():
    # instagram only: A, B, E; E is excluded -> 2 eligible, 4 asked
    catalog = rows() + [influencer("E", 5_000, 0.04, 100)]
    spec = {"budget": {"max": 5000}, "diversity": {"min_influencers": 4}, "filters": {"platforms": ["instagram"]},
            "selection": {"exclude": ["E"]}}
    same(diagnosis_of(spec, catalog), [
        entry("diversity.min_influencers", 4, 2,
              "diversity.min_influencers: asked 4, only 2 creators eligible (of 5 in the catalog: "
              "filters.platforms removes 2, selection.exclude removes 1)")])


def test_min_influencers_above_the_eligible_and_the_budget_lower_still():
    # 3 eligible, but $600 books at most two of them (A + C = $550): the count the budget allows is added
    spec = {"budget": {"max": 600}, "diversity": {"min_influencers": 4}, "filters": {"platforms": ["instagram",
                                                                                                  "tiktok"]}}
    [only] = diagnosis_of(spec)
    assert only["constraint"] == "diversity.min_influencers"
    assert only["asked"] == 4 and only["achievable"] == 2
    assert only["message"] == ("diversity.min_influencers: asked 4, only 3 creators eligible (of 4 in the catalog: "
                               "filters.platforms removes 1); at most 2 with every other constraint held")


def test_min_count_above_the_eligible_members_of_a_group():
    spec = {"budget": {"max": 5000}, "limits": {"platform": {"tiktok": {"min_count": 2}}}}
    same(diagnosis_of(spec), [
        entry("limits.platform.tiktok.min_count", 2, 1,
              "limits.platform.tiktok.min_count: asked 2, only 1 creator in platform tiktok eligible")])


def test_min_distinct_above_the_values_present():
    spec = {"budget": {"max": 5000}, "diversity": {"min_distinct": {"niche": 4}}}
    same(diagnosis_of(spec), [
        entry("diversity.min_distinct.niche", 4, 3,
              "diversity.min_distinct.niche: asked 4, the eligible creators have only 3 distinct niche values")])


def test_included_creator_costs_more_than_the_budget():
    # B alone costs 500 > 400: named first; the relaxation then moves the budget to 500
    # (100 / 400 = 25% against dropping the include, 100%)
    spec = {"budget": {"max": 400}, "selection": {"include": ["B"]}}
    same(diagnosis_of(spec), [
        entry("selection.include", 1, 0, "selection.include: B costs 500 per post, more than budget.max 400"),
        entry("budget.max", 400, 500,
              "budget.max: 400 too small; the cheapest plan meeting every other constraint costs 500")])


def test_included_creators_together_cost_more_than_the_budget():
    # A + B + C = 1,050 > 900; the two cheapest (C, A) fit
    spec = {"budget": {"max": 900}, "selection": {"include": ["A", "B", "C"]}}
    same(diagnosis_of(spec), [
        entry("selection.include", 3, 2, "selection.include: the 3 included ids cost 1,050 together (one post "
                                         "each), more than budget.max 900; at most 2 of them fit"),
        entry("budget.max", 900, 1050)])


def test_included_creator_above_its_share_of_the_budget():
    # B costs 500 > 0.4 * 1,000 = 400
    spec = {"budget": {"max": 1000}, "diversity": {"max_share_per_influencer": 0.4},
            "selection": {"include": ["B"]}}
    actual = diagnosis_of(spec)
    assert actual[0] == {"constraint": "selection.include", "asked": 1, "achievable": 0,
                         "message": "selection.include: B costs 500 per post, more than "
                                    "diversity.max_share_per_influencer 0.4 of budget.max 1,000 (400)"}


def test_more_includes_than_max_influencers():
    spec = {"budget": {"max": 5000}, "diversity": {"max_influencers": 2}, "selection": {"include": ["A", "B", "C"]}}
    same(diagnosis_of(spec), [
        entry("diversity.max_influencers", 2, 3,
              "diversity.max_influencers: asked at most 2, but selection.include books 3")])


# --- spend shares ---------------------------------------------------------------------------------

def test_two_min_shares_that_cannot_both_hold():
    # four micros and four nanos at $100; two creators at least, so something is spent.
    # micro >= 0.6 S and nano >= 0.6 S cannot both hold; relaxing one (either: the case is
    # symmetric), its best share with the other held at 0.6 is 2 of 5 = 0.4.
    catalog = [influencer(f"m{k}", 20_000, 0.03, 100) for k in range(4)] + [
        influencer(f"n{k}", 5_000, 0.05, 100) for k in range(4)]
    spec = {"budget": {"max": 1000}, "diversity": {"min_influencers": 2},
            "limits": {"tier": {"micro": {"min_share": 0.6}, "nano": {"min_share": 0.6}}}}
    [only] = diagnosis_of(spec, catalog)
    assert only["constraint"] in ("limits.tier.micro.min_share", "limits.tier.nano.min_share")
    assert only["asked"] == pytest.approx(0.6) and only["achievable"] == pytest.approx(0.4)
    assert only["message"] == f"{only['constraint']}: asked 0.6 of spend, at most 0.4 reachable with budget 1,000"


def test_max_share_per_influencer_too_low():
    # two creators within $1,000 at most 0.3 of spend each: the best pair is A + C (300 / 550 =
    # 0.545), the best triple A + C + D ($950): 400 / 950 = 0.421; four cost 1,450 (and still
    # 500 / 1,450 = 0.345 > 0.3, so the budget alone cannot help)
    spec = {"budget": {"max": 1000}, "diversity": {"min_influencers": 2, "max_share_per_influencer": 0.3}}
    same(diagnosis_of(spec), [
        entry("diversity.max_share_per_influencer", 0.3, 400 / 950,
              "diversity.max_share_per_influencer: asked at most 0.3 of spend per creator, the other constraints "
              "need at least 0.4211")])


def test_max_share_of_a_group_too_low():
    # all four are needed for 2,700 engagements ($1,450); micro spend 1,050 of 1,450 = 0.724
    spec = {"budget": {"max": 2000}, "targets": {"engagements": 2700},
            "limits": {"tier": {"micro": {"max_share": 0.5}}}}
    same(diagnosis_of(spec), [entry("limits.tier.micro.max_share", 0.5, 1050 / 1450)])


# --- feasible scenarios never get a diagnosis -------------------------------------------------------

# --- the budget lever -----------------------------------------------------------------------------

def test_the_budget_that_would_do_as_it_stands_is_named_beside_the_relaxation():
    # 2,700 engagements need all four creators (2,780 for $1,450); $1,000 buys at most B + C = 1,800.
    # Relaxing the target weighs (2,700 - 1,800) / 2,700 = 0.33, the budget (1,450 - 1,000) / 1,000 = 0.45:
    # the target moves, and the lever says what budget would meet it as asked.
    same(diagnosis_of({"budget": {"max": 1000}, "targets": {"engagements": 2700}}), [
        entry("targets.engagements", 2700, 1800,
              "targets.engagements: asked 2,700, at most 1,800 reachable with budget 1,000"),
        entry("budget.max", 1000, 1450, "budget.max: or raise the budget to 1,450, the cost of the cheapest plan "
                                        "meeting every other constraint as asked")])


def test_no_lever_where_no_budget_would_do():
    # B is not eligible: three creators cannot be four whatever the budget
    [only] = diagnosis_of({"budget": {"max": 5000}, "diversity": {"min_influencers": 4},
                           "selection": {"exclude": ["B"]}})
    assert only["constraint"] == "diversity.min_influencers"


# --- numbers far beyond the data, and solver faults ---------------------------------------------

def test_a_floor_of_1e15_is_diagnosed_against_what_the_budget_buys():
    # $1,000 buys at most B + C = 1,800 engagements ($750); the big-M stays within the data's range
    [only] = diagnosis_of({"budget": {"max": 1000}, "targets": {"engagements": 1e15}})
    assert only["constraint"] == "targets.engagements"
    assert only["asked"] == 1e15 and only["achievable"] == pytest.approx(1800)


def test_the_largest_count_floor_keeps_the_structural_count_and_the_budget_lower_still():
    # 4 eligible; $1,000 books at most three (A + C + D = $950); 10**9 is the largest count a scenario
    # may ask (larger ones are refused on load: test_scenario)
    [only] = diagnosis_of({"budget": {"max": 1000}, "diversity": {"min_influencers": 10**9}})
    assert only["constraint"] == "diversity.min_influencers"
    assert only["asked"] == 1e9 and only["achievable"] == 3


def test_a_solver_fault_in_the_diagnosis_is_an_entry_not_a_traceback(monkeypatch):
    from optimizer import elastic

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(elastic, "solve_linear", broken)
    result = solve(make_catalog(rows()), make_scenario(BUDGET_SHORT))
    assert result.status == "infeasible"
    assert result.diagnosis == [DiagnosisEntry("scenario", None, None,
                                               "the diagnosis failed: IndexError: list index out of range")]


@pytest.mark.parametrize("spec", [
    {"budget": {"max": 1000}},
    {"budget": {"max": 1000}, "targets": {"engagements": 1800}},
    {"objective": {"minimize": "cost"}, "coverage": {"f": {"min_reach": 12_000}}, "diversity": {"min_influencers": 3}},
    {"budget": {"max": 500}, "selection": {"include": ["B"]}},
], ids=["budget", "target", "cost", "include"])
def test_feasible_scenarios_have_no_diagnosis(spec):
    result = solve(make_catalog(rows()), make_scenario(spec))
    assert result.status == "optimal"
    assert result.diagnosis == []
    assert "diagnosis" not in json.loads(result.to_json())


# --- random infeasible scenarios: a single relaxation, applied, gives a plan ----------------------

def scenario_key(constraint: str) -> list[str] | None:
    """The dotted path of a scenario value a diagnosis entry names (None: not one number)."""
    parts = constraint.split(".")
    if constraint in ("budget.max", "budget.min", "targets.engagements", "targets.reach",
                      "diversity.min_influencers", "diversity.max_influencers",
                      "diversity.max_share_per_influencer"):
        return parts
    if parts[0] == "coverage":
        return ["coverage", ".".join(parts[1:]), "min_reach"]
    if parts[0] == "limits":
        return ["limits", parts[1], ".".join(parts[2:-1]), parts[-1]]
    if constraint.startswith("diversity.min_distinct."):
        return ["diversity", "min_distinct", parts[2]]
    return None


def relaxed(spec: dict, constraint: str, value: float) -> dict | None:
    path = scenario_key(constraint)
    if path is None:
        return None
    changed = json.loads(json.dumps(spec))
    node = changed
    for key in path[:-1]:
        node = node[key]
    integral = path[-1] in ("min_influencers", "max_influencers", "min_count", "max_count") or path[1] == "min_distinct"
    node[path[-1]] = int(round(value)) if integral else float(value)
    return changed


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 12), objective=st.sampled_from(OBJECTIVES),
       kinds=st.sets(st.sampled_from(KINDS), min_size=2, max_size=6))
def test_random_infeasible_scenarios_are_diagnosed(seed, n, objective, kinds):
    rng = np.random.default_rng(seed)
    frame = random_frame(rng, n, max_posts_high=2)
    spec = random_scenario(rng, frame, objective, kinds)
    for floor in ("targets", "coverage"):      # push the floors up so that many cases are infeasible
        for table in ([spec[floor]] if floor == "targets" and floor in spec else list(spec.get(floor, {}).values())):
            for key in list(table):
                table[key] = round(table[key] * 3, 1)
    catalog = make_catalog(frame)
    result = solve(catalog, make_scenario(spec))
    if result.status != "infeasible":
        assert result.diagnosis == []
        return
    assert result.diagnosis, spec
    entries = [asdict(entry) for entry in result.diagnosis]
    for item in entries:
        assert set(item) == ENTRY_KEYS and item["message"].startswith(item["constraint"] + ":")
    if len(entries) == 1 and "time limit" not in entries[0]["message"]:
        [only] = entries
        changed = relaxed(spec, only["constraint"], only["achievable"]) if only["achievable"] is not None else None
        if changed is not None:
            again = solve(catalog, make_scenario(changed))
            assert again.status == "optimal", (spec, only)
