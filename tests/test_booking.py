"""The booking rules of issue 16 item 6 on small hand-made catalogs (arithmetic in the comments):
exclusion filters, posts per creator, a CPE ceiling, price multipliers, fees, coverage of a union
of segments; each with its bad inputs and a bad plan handed to the verifier.

    id  platform   followers  rate  cost  niche    country  max_posts  aud_f  aud_m  E/post
    a   instagram     10,000    5%   100  beauty   US       3          0.5    0.1      500
    b   tiktok        20,000    2%   100  gambling RU       3          0.2    0.6      400
    c   instagram     40,000    1%   200  food     GB       3          0.1    0.3      400
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from instances import influencer, make_catalog, make_scenario
from models.catalog_rules import check_against_catalog
from models.errors import ScenarioError
from optimizer import solve
from optimizer.verify import violations
from reference import booked, constraint

METHODS = ("fast", "plain")


def rows() -> list[dict]:
    return [influencer("a", 10_000, 0.05, 100, niche="beauty", country="US", max_posts=3, aud_f=0.5, aud_m=0.1),
            influencer("b", 20_000, 0.02, 100, niche="gambling", country="RU", max_posts=3, aud_f=0.2, aud_m=0.6,
                       platform="tiktok"),
            influencer("c", 40_000, 0.01, 200, niche="food", country="GB", max_posts=3, aud_f=0.1, aud_m=0.3)]


def catalog(**extra_columns):
    table = rows()
    for column, values in extra_columns.items():
        for row, value in zip(table, values):
            row[column] = value
    return make_catalog(table)


def problems(spec: dict, cat=None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        check_against_catalog(cat or catalog(), make_scenario({"budget": {"max": 1000}, **spec}))
    return caught.value.problems


def scenario_problems(spec: dict) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        make_scenario({"budget": {"max": 1000}, **spec})
    return caught.value.problems


def faults(spec: dict, posts: list[int], cat=None) -> list[str]:
    return violations(cat or catalog(), make_scenario({"budget": {"max": 10_000}, **spec}), np.array(posts))


# --- 1. exclusion filters ------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_exclusion_filters_drop_their_rows_case_insensitively(method):
    # budget 600 buys 6 posts at 100 or 3 of c: a (3 x 500) + b (3 x 400) = 2,700 is best
    spec = {"budget": {"max": 600}}
    assert booked(solve(catalog(), make_scenario(spec), method=method)) == {"a": 3, "b": 3}
    # without gambling: a 3 posts (300) + c 1 post (200) = 1,500 + 400 = 1,900
    result = solve(catalog(), make_scenario(spec, filters={"exclude_niches": ["Gambling"]}), method=method)
    assert booked(result) == {"a": 3, "c": 1} and result.objective.value == pytest.approx(1900)
    assert result.catalog.eligible == 2
    result = solve(catalog(), make_scenario(spec, filters={"exclude_countries": ["ru", "us"]}), method=method)
    assert booked(result) == {"c": 3} and result.objective.value == pytest.approx(1200)


def test_an_unknown_exclusion_value_is_a_warning_with_a_suggestion():
    """SPEC 14's example excludes niche gambling and country RU on any catalog: a value the catalog lacks
    excludes nobody, said as for an excluded id the catalog lacks (SPEC 4), with the closest value."""
    with pytest.warns(UserWarning) as caught:
        check_against_catalog(catalog(), make_scenario({"budget": {"max": 1000},
                                                        "filters": {"exclude_niches": ["gamblin"],
                                                                    "exclude_countries": ["GBR"]}}))
    assert [str(w.message) for w in caught] == [
        "key filters.exclude_niches: 'gamblin' appears nowhere in column niche: excludes nobody; "
        "did you mean 'gambling'?",
        "key filters.exclude_countries: 'GBR' appears nowhere in column country: excludes nobody; did you mean 'GB'?"]
    assert scenario_problems({"filters": {"exclude_niches": "gambling"}}) == [
        "key filters.exclude_niches: must be an array, got 'gambling'"]


def test_the_verifier_rejects_an_excluded_row():
    assert faults({"filters": {"exclude_niches": ["GAMBLING"]}}, [0, 1, 0]) == ["booked but not eligible: b"]
    assert faults({"filters": {"exclude_countries": ["gb"]}}, [0, 0, 1]) == ["booked but not eligible: c"]
    assert faults({"filters": {"exclude_countries": ["gb"]}}, [1, 1, 0]) == []


# --- 2. posts per creator ------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_max_posts_per_influencer_caps_every_row(method):
    # at most 1 post each: a 500 + b 400 + c 400 = 1,300 for 400 (budget 600 is not the limit)
    spec = {"budget": {"max": 600}, "diversity": {"max_posts_per_influencer": 1}}
    result = solve(catalog(), make_scenario(spec), method=method)
    assert booked(result) == {"a": 1, "b": 1, "c": 1} and result.objective.value == pytest.approx(1300)
    # at most 2: a 2 (1,000) + b 2 (800) = 1,800 for 400, then 200 left: c 1 (400) -> 2,200
    result = solve(catalog(), make_scenario(spec, diversity={"max_posts_per_influencer": 2}), method=method)
    assert booked(result) == {"a": 2, "b": 2, "c": 1} and result.objective.value == pytest.approx(2200)


def test_max_posts_per_influencer_bad_values_and_plans():
    assert scenario_problems({"diversity": {"max_posts_per_influencer": 0}}) == [
        "key diversity.max_posts_per_influencer: must be at least 1, got 0"]
    assert scenario_problems({"diversity": {"max_posts_per_influencer": 1.5}}) == [
        "key diversity.max_posts_per_influencer: must be a whole number, got 1.5"]
    assert faults({"diversity": {"max_posts_per_influencer": 2}}, [3, 2, 0]) == [
        "posts above diversity.max_posts_per_influencer (2) for a"]
    assert faults({"diversity": {"max_posts_per_influencer": 2}}, [2, 2, 2]) == []


# --- 3. a CPE ceiling ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_max_cpe_keeps_the_plan_under_the_ceiling(method):
    # budget 900 alone: a 3 + b 3 + c 1 = 1,500 + 1,200 + 400 = 3,100 engagements for 800 (cpe 0.258)
    spec = {"budget": {"max": 900}}
    assert solve(catalog(), make_scenario(spec), method=method).objective.value == pytest.approx(3100)
    # max_cpe 0.25: S <= 0.25 E; with c booked, 100a + 100b + 200 <= 125a + 100b + 100 needs a >= 4 > 3,
    # so c stays out: a 3 + b 3 = 2,700 for 600 (cpe 0.222)
    result = solve(catalog(), make_scenario(spec, targets={"max_cpe": 0.25}), method=method)
    assert booked(result) == {"a": 3, "b": 3} and result.objective.value == pytest.approx(2700)
    row = constraint(result, "targets.max_cpe")
    assert (row.lhs, row.sense, row.rhs) == (pytest.approx(600), "<=", pytest.approx(675))
    assert result.totals.cpe <= 0.25


def test_max_cpe_below_every_creators_is_infeasible_and_diagnosed():
    # the cheapest engagement costs 0.2 (a): a ceiling of 0.1 leaves only the empty plan, which misses 100
    scenario = make_scenario(budget={"max": 900}, targets={"max_cpe": 0.1, "engagements": 100})
    result = solve(catalog(), scenario)
    assert result.status == "infeasible"
    assert {entry.constraint for entry in result.diagnosis} & {"targets.max_cpe", "targets.engagements"}


def test_max_cpe_bad_values_and_plans():
    assert scenario_problems({"targets": {"max_cpe": 0}}) == ["key targets.max_cpe: must be greater than 0, got 0"]
    assert scenario_problems({"targets": {"max_cpe": "0.1"}}) == ["key targets.max_cpe: must be a number, got '0.1'"]
    # a 1 + c 1: spend 300, E 900 -> cpe 0.333
    assert faults({"targets": {"max_cpe": 0.3}}, [1, 0, 1]) == ["targets.max_cpe: 300 <= 270"]
    assert faults({"targets": {"max_cpe": 0.34}}, [1, 0, 1]) == []


# --- 4. price what-ifs ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_price_multipliers_change_the_plan_and_its_spend(method):
    spec = {"budget": {"max": 600}}
    # tiktok x 1.5: b costs 150; a 3 (300) + b 2 (300) = 1,500 + 800 = 2,300 beats a 3 + c 1 (1,900)
    result = solve(catalog(), make_scenario(spec, prices={"platform": {"TikTok": 1.5}}), method=method)
    assert booked(result) == {"a": 3, "b": 2} and result.objective.value == pytest.approx(2300)
    assert result.totals.spend == pytest.approx(600) and result.totals.cpe == pytest.approx(600 / 2300)
    # and gambling x 0.5 on top: b costs 100 * 1.5 * 0.5 = 75; a 3 (300) + b 3 (225) = 2,700 for 525
    scenario = make_scenario(spec, prices={"platform": {"tiktok": 1.5}, "niche": {"gambling": 0.5}})
    result = solve(catalog(), scenario, method=method)
    assert booked(result) == {"a": 3, "b": 3} and result.totals.spend == pytest.approx(525)
    assert constraint(result, "budget.max").lhs == pytest.approx(525)
    # every creator is a micro: tier.micro x 2 doubles every price; 600 buys a 3 = 1,500
    result = solve(catalog(), make_scenario(spec, prices={"tier": {"micro": 2}}), method=method)
    assert booked(result) == {"a": 3} and result.totals.spend == pytest.approx(600)


def test_price_multiplier_bad_values_and_plans():
    assert problems({"prices": {"platform": {"tiktokk": 1.2}, "tier": {"mega": 0.9}}}) == [
        "key prices.platform.tiktokk: 'tiktokk' appears nowhere in column platform; did you mean 'tiktok'?"]
    assert scenario_problems({"prices": {"tier": {"micro": 0}}}) == [
        "key prices.tier.micro: must be greater than 0, got 0"]
    assert scenario_problems({"prices": {"colour": {"red": 2}}})[0].startswith("key prices.colour: unknown key")
    # b at 100 * 3 = 300 against a budget of 250
    assert faults({"prices": {"platform": {"tiktok": 3}}, "budget": {"max": 250}}, [0, 1, 0]) == [
        "budget.max: 300 <= 250"]
    assert faults({"prices": {"platform": {"tiktok": 2}}, "budget": {"max": 250}}, [0, 1, 0]) == []


# --- 5. fees -------------------------------------------------------------------------------------

def fee_catalog():
    return catalog(fee=[50, 0, 300])


def test_a_fee_counts_in_spend_cpe_and_the_budget():
    # a costs 100 a post + 50 once, b 100, c 200 + 300: budget 600 buys a 3 (350) + b 2 (200) = 2,300
    # (a 2 + b 3 = 250 + 300 gives 2,200; a 3 + b 3 = 650 is over; c's first post costs 500 for 400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # the fast path prices fees: no hand-over
        result = solve(fee_catalog(), make_scenario(budget={"max": 600}))
    assert result.solver.method == "fast"
    assert booked(result) == {"a": 3, "b": 2} and result.objective.value == pytest.approx(2300)
    assert result.totals.spend == pytest.approx(550) and result.totals.cpe == pytest.approx(550 / 2300)
    assert constraint(result, "budget.max").lhs == pytest.approx(550)
    # budget 140: a's first post costs 150, so b 1 (400) is all that fits
    result = solve(fee_catalog(), make_scenario(budget={"max": 140}), method="plain")
    assert booked(result) == {"b": 1}


def test_a_fee_counts_in_every_spend_share():
    # a group share: tier micro is everyone; instagram (a, c) at most 0.5 of spend with a's fee:
    # a 1 + b 1 = 150 + 100: instagram 150 > 125; a 1 + b 2 = 150 + 200: 150 <= 175 and 2 * 500 + 2 * 400
    scenario = make_scenario(budget={"max": 350}, limits={"platform": {"instagram": {"max_share": 0.5}}})
    result = solve(fee_catalog(), scenario, method="plain")
    # budget 350: a 1 + b 2 (350, 1,300) beats b 3 (300, 1,200); a 2 + b 1 has instagram 250 of 350
    assert booked(result) == {"a": 1, "b": 2} and result.objective.value == pytest.approx(1300)
    row = constraint(result, "limits.platform.instagram.max_share")
    assert row.lhs == pytest.approx(150) and row.rhs == pytest.approx(175)
    assert faults({"diversity": {"max_share_per_influencer": 0.5}}, [1, 1, 0], fee_catalog()) == [
        "diversity.max_share_per_influencer: 150 <= 125"]
    assert faults({"limits": {"platform": {"instagram": {"max_share": 0.5}}}}, [1, 1, 0], fee_catalog()) == [
        "limits.platform.instagram.max_share: 150 <= 125"]


def test_a_negative_fee_is_a_located_catalog_error():
    from models.errors import CatalogError
    with pytest.raises(CatalogError) as caught:
        catalog(fee=[50, -1, 0])
    assert str(caught.value) == "<DataFrame>: row 2 (id 'b'), column fee: -1 is negative; fee must be at least 0"


# --- 6. coverage of a union of segments ----------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_a_union_coverage_floor_adds_the_shares(method):
    # reach in f+m: a 10,000 x 0.6 = 6,000; b 20,000 x 0.8 = 16,000; c 40,000 x 0.4 = 16,000
    # budget 300 alone: a 3 = 1,500; a floor of 20,000 needs two creators: a 2 + b 1 (22,000) = 1,400
    # (a 1 + b 2 = 1,300, a 1 + c 1 = 900, b 1 + c 1 = 800)
    result = solve(catalog(), make_scenario(budget={"max": 300}, coverage={"f+m": {"min_reach": 20_000}}),
                   method=method)
    assert booked(result) == {"a": 2, "b": 1} and result.objective.value == pytest.approx(1400)
    row = constraint(result, "coverage.f+m")
    assert (row.lhs, row.rhs) == (pytest.approx(22_000), 20_000)
    union = [entry for entry in result.coverage if entry.segment == "f+m"]
    assert len(union) == 1 and union[0].achieved == pytest.approx(22_000) and union[0].target == 20_000


def test_union_coverage_bad_values_and_plans():
    assert problems({"coverage": {"f+x": {"min_reach": 1}}}) == [
        "key coverage.f+x: segment 'x' is not in the catalog (no column aud_x); catalog segments: f, m"]
    assert scenario_problems({"coverage": {"f+f": {"min_reach": 1}}}) == [
        "key coverage.f+f: a union of segments is written a+b, each segment once"]
    assert scenario_problems({"coverage": {"f+m": {"min_reach": 1}}, "audience": {"population": 1e6}})[0].startswith(
        "key coverage.f+m: a union of segments needs its people")
    assert faults({"coverage": {"f+m": {"min_reach": 7000}}}, [1, 0, 0]) == ["coverage.f+m: 6000 >= 7000"]
    assert faults({"coverage": {"f+m": {"min_reach": 6000}}}, [1, 0, 0]) == []


def test_a_cpe_ceiling_the_other_constraints_cannot_meet_is_named_with_a_plans_cpe():
    # three creators are needed, and c (0.5 per engagement) lifts every such plan above 0.25 (see above);
    # relaxing the ceiling costs less than dropping a creator: the entry gives the relaxed plan's S / E
    scenario = make_scenario(budget={"max": 900}, targets={"max_cpe": 0.22}, diversity={"min_influencers": 3})
    result = solve(catalog(), scenario)
    assert result.status == "infeasible"
    [entry] = result.diagnosis
    assert entry.constraint == "targets.max_cpe" and entry.asked == 0.22 and 0.258 <= entry.achievable <= 0.5
    assert entry.message.startswith("targets.max_cpe: asked at most 0.22, a plan meeting every other constraint "
                                    "costs 0.2") and entry.message.endswith(" per engagement")
