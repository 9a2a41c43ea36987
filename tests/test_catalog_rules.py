"""The scenario read against its catalog (models/catalog_rules.py): filter and limit values the
catalog does not have are errors with a "did you mean", niche and country compare case-insensitively."""

from __future__ import annotations

import numpy as np
import pytest

from instances import influencer, make_catalog, make_scenario
from models.catalog_rules import check_against_catalog, eligible_rows
from models.errors import ScenarioError
from optimizer import solve


def catalog():
    return make_catalog([influencer("a", 20_000, 0.04, 400, niche="fashion", country="US"),
                         influencer("b", 30_000, 0.03, 500, niche="beauty", country="FR", platform="tiktok"),
                         influencer("c", 5_000, 0.05, 100, niche="tech", country="US")])


def problems(spec: dict) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        check_against_catalog(catalog(), make_scenario({"budget": {"max": 1000}, **spec}))
    return caught.value.problems


def test_a_misspelt_filter_value_is_an_error_with_a_suggestion():
    assert problems({"filters": {"niches": ["Fashion", "fasion"]}}) == [
        "key filters.niches: 'fasion' appears nowhere in column niche; did you mean 'fashion'?"]
    assert problems({"filters": {"countries": ["USA"], "platforms": ["tiktokk"]}}) == [
        "key filters.platforms: 'tiktokk' appears nowhere in column platform; did you mean 'tiktok'?",
        "key filters.countries: 'USA' appears nowhere in column country; did you mean 'US'?"]


def test_a_limit_value_in_the_wrong_case_suggests_the_catalogs_spelling():
    assert problems({"limits": {"niche": {"Beauty": {"max_count": 1}}}}) == [
        "key limits.niche.Beauty: 'Beauty' appears nowhere in column niche; did you mean 'beauty'?"]


def test_a_tier_limit_binds_the_catalogs_tier_cells_written_in_another_case():
    cells = make_catalog([influencer("a", 1_000, 0.1, 100, tier="Mega"), influencer("b", 1_000, 0.1, 100)])
    result = solve(cells, make_scenario({"budget": {"max": 1000}, "limits": {"tier": {"mega": {"max_count": 0}}}}))
    assert result.status == "optimal" and result.allocation["id"].tolist() == ["b"]
    with pytest.raises(ScenarioError, match="key limits.tier.Mega: 'Mega' appears nowhere in column tier; "
                                            "did you mean 'mega'"):
        check_against_catalog(cells, make_scenario({"budget": {"max": 1000},
                                                    "limits": {"tier": {"Mega": {"max_count": 0}}}}))


def test_niche_and_country_filters_ignore_case_in_the_model_and_the_verifier():
    spec = {"budget": {"max": 1000}, "filters": {"niches": ["FASHION", "Tech"], "countries": ["us"]}}
    scenario = make_scenario(spec)
    assert eligible_rows(catalog(), scenario).tolist() == [True, False, True]
    result = solve(catalog(), scenario)
    assert result.status == "optimal" and set(result.allocation["id"]) == {"a", "c"}
    assert np.array_equal(eligible_rows(catalog(), scenario),
                          eligible_rows(catalog(), make_scenario(spec, filters={"niches": ["fashion", "tech"],
                                                                                "countries": ["US"]})))


@pytest.mark.parametrize("key, table", [("min_share", "limits"), ("max_share_per_influencer", "diversity")])
def test_a_share_written_as_a_percentage_suggests_the_fraction(key, table):
    spec = {"limits": {"tier": {"micro": {key: 40}}}} if table == "limits" else {"diversity": {key: 40}}
    with pytest.raises(ScenarioError, match="must be at most 1, got 40; write fractions: 0.4, not 40"):
        make_scenario(spec)


def test_targeted_reach_with_every_weight_0_is_an_error():
    shares = make_catalog([influencer("a", 20_000, 0.04, 400, aud_f=0.5, aud_m=0.3)])
    scenario = make_scenario({"budget": {"max": 1000}, "objective": {
        "maximize": "targeted_reach", "segment_weights": {"f": 0, "m": 0}}})
    with pytest.raises(ScenarioError, match="key objective.segment_weights: every segment weighs 0"):
        check_against_catalog(shares, scenario)
    check_against_catalog(shares, scenario.override({"objective.segment_weights.m": 0.5}))


def test_minimize_cost_takes_an_impressions_target_or_a_distinct_count_floor_but_not_a_cpe_ceiling():
    cost = {"objective": {"minimize": "cost"}}
    impressions = solve(catalog(), make_scenario(cost, targets={"impressions": 40_000},
                                                 audience={"population": 10**7}))
    assert impressions.status == "optimal" and impressions.totals.impressions >= 40_000
    distinct = solve(catalog(), make_scenario(cost, diversity={"min_distinct": {"niche": 2}}))
    assert distinct.status == "optimal" and distinct.allocation["id"].tolist() == ["a", "c"]
    with pytest.raises(ScenarioError, match='minimize = "cost" needs a target, a coverage floor or a count floor'):
        check_against_catalog(catalog(), make_scenario(cost, targets={"max_cpe": 1}))


def test_segment_weights_beside_another_objective_are_warned_about_and_not_used():
    shares = make_catalog([influencer("a", 20_000, 0.04, 400, aud_f=0.5), influencer("b", 9_000, 0.1, 400, aud_f=0.9)])
    spec = {"budget": {"max": 400}, "objective": {"maximize": "engagements", "segment_weights": {"f": 5.0}}}
    with pytest.warns(UserWarning, match='key objective.segment_weights: only applies to maximize = "targeted_reach"'):
        result = solve(shares, make_scenario(spec))
    assert result.allocation["id"].tolist() == ["b"] and result.objective.value == 900


def test_min_shares_of_one_column_above_1_are_warned_about():
    spec = {"budget": {"max": 1000}, "limits": {"platform": {"tiktok": {"min_share": 0.7},
                                                             "instagram": {"min_share": 0.5}}}}
    with pytest.warns(UserWarning, match="key limits.platform: the min_share floors sum to 1.2, above 1: no plan "
                                         "can spend anything"):
        check_against_catalog(catalog(), make_scenario(spec))


def test_a_long_list_of_unknown_ids_is_shortened_to_one_readable_line():
    """50,000 unknown ids in selection.include / exclude: the first 20 and how many more, not a 400 KB line."""
    many, few = [f"nobody{k}" for k in range(50_000)], [f"gone{k}" for k in range(21)]
    scenario = make_scenario({"budget": {"max": 100}, "selection": {"include": many, "exclude": few}})
    with pytest.warns(UserWarning) as caught:
        with pytest.raises(ScenarioError) as error:
            check_against_catalog(catalog(), scenario)
    assert str(error.value).endswith("ids not in the catalog: " + ", ".join(many[:20]) + " and 49,980 more")
    assert str(caught[0].message).endswith(", ".join(few[:20]) + " and 1 more")
