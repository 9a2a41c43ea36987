"""The verifier on its own: bad plans handed to it directly, one per check, so that switching
off any check of optimizer/verify.py or optimizer/checks.py fails a test here.

    id  platform   followers  rate  cost  niche  country  auth  max_posts  aud_f  tier   E/post  A       A_f
    a   instagram     20,000    4%   400  beauty  US      0.9       2      0.5   micro    800   18,000  9,000
    b   tiktok        60,000    2%   500  food    FR      0.8       1      0.2   mid    1,200   48,000  9,600
    c   instagram      5,000    5%   100  tech    US      1.0       3      0.3   nano     250    5,000  1,500
"""

from __future__ import annotations

import numpy as np
import pytest

from instances import influencer, make_catalog, make_scenario
from models.errors import VerificationError
from optimizer.verify import check_plan, violations


def catalog():
    return make_catalog([
        influencer("a", 20_000, 0.04, 400, niche="beauty", country="US", authenticity=0.9, max_posts=2, aud_f=0.5),
        influencer("b", 60_000, 0.02, 500, niche="food", country="FR", authenticity=0.8, max_posts=1, aud_f=0.2,
                   platform="tiktok"),
        influencer("c", 5_000, 0.05, 100, niche="tech", country="US", authenticity=1.0, max_posts=3, aud_f=0.3),
    ])


def faults(spec: dict, posts: list[float]) -> list[str]:
    return violations(catalog(), make_scenario({"budget": {"max": 10_000}, **spec}), np.array(posts))


STRUCTURAL = [
    ("fractional posts", {}, [0.5, 0, 0], "posts must be whole numbers >= 0"),
    ("negative posts", {}, [-1, 0, 0], "posts must be whole numbers >= 0"),
    ("above max_posts", {}, [3, 0, 0], "posts above max_posts for a"),
    ("filters.platforms", {"filters": {"platforms": ["tiktok"]}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.niches", {"filters": {"niches": ["food"]}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.countries", {"filters": {"countries": ["FR"]}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.min_followers", {"filters": {"min_followers": 30_000}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.max_followers", {"filters": {"max_followers": 10_000}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.min_authenticity", {"filters": {"min_authenticity": 0.95}}, [1, 0, 0], "booked but not eligible: a"),
    ("filters.min_engagement_rate", {"filters": {"min_engagement_rate": 0.045}}, [1, 0, 0],
     "booked but not eligible: a"),
    ("selection.exclude", {"selection": {"exclude": ["a"]}}, [1, 0, 0], "booked but not eligible: a"),
    ("selection.include", {"selection": {"include": ["b"]}}, [1, 0, 0], "included but not booked: b"),
]

# spend of a + c = 500, a's share 0.8; a alone: spend 400, E 800, A 18,000, A_f 9,000
CONSTRAINTS = [
    ({"budget": {"max": 300}}, [1, 0, 0], "budget.max: 400 <= 300"),
    ({"budget": {"max": 10_000, "min": 1000}}, [1, 0, 0], "budget.min: 400 >= 1000"),
    ({"targets": {"engagements": 1000}}, [1, 0, 0], "targets.engagements: 800 >= 1000"),
    ({"targets": {"reach": 20_000}}, [1, 0, 0], "targets.reach: 18000 >= 20000"),
    ({"coverage": {"f": {"min_reach": 10_000}}}, [1, 0, 0], "coverage.f: 9000 >= 10000"),
    ({"diversity": {"max_share_per_influencer": 0.5}}, [1, 0, 1], "diversity.max_share_per_influencer: 400 <= 250"),
    ({"diversity": {"min_influencers": 2}}, [1, 0, 0], "diversity.min_influencers: 1 >= 2"),
    ({"diversity": {"max_influencers": 1}}, [1, 0, 1], "diversity.max_influencers: 2 <= 1"),
    ({"limits": {"tier": {"micro": {"min_share": 0.9}}}}, [1, 0, 1], "limits.tier.micro.min_share: 400 >= 450"),
    ({"limits": {"tier": {"micro": {"max_share": 0.5}}}}, [1, 0, 1], "limits.tier.micro.max_share: 400 <= 250"),
    ({"limits": {"platform": {"instagram": {"min_count": 3}}}}, [1, 0, 1],
     "limits.platform.instagram.min_count: 2 >= 3"),
    ({"limits": {"platform": {"instagram": {"max_count": 1}}}}, [1, 0, 1],
     "limits.platform.instagram.max_count: 2 <= 1"),
    ({"diversity": {"min_distinct": {"niche": 3}}}, [1, 0, 1], "diversity.min_distinct.niche: 2 >= 3"),
]


@pytest.mark.parametrize("case, spec, posts, fault", STRUCTURAL, ids=[case[0] for case in STRUCTURAL])
def test_each_structural_check_catches_its_fault(case, spec, posts, fault):
    assert faults(spec, posts) == [fault]
    with pytest.raises(VerificationError, match="plan fails the independent check"):
        check_plan(catalog(), make_scenario({"budget": {"max": 10_000}, **spec}), np.array(posts))


@pytest.mark.parametrize("spec, posts, fault", CONSTRAINTS, ids=[case[2].split(":")[0] for case in CONSTRAINTS])
def test_each_constraint_check_catches_its_violation(spec, posts, fault):
    assert faults(spec, posts) == [fault]


def test_an_include_beats_the_filters_and_a_good_plan_passes_every_check():
    spec = {"filters": {"platforms": ["tiktok"]}, "selection": {"include": ["a"]}}
    assert faults(spec, [2, 1, 0]) == []
    every = {"budget": {"max": 1500, "min": 400}, "targets": {"engagements": 1000, "reach": 20_000},
             "coverage": {"f": {"min_reach": 10_000}},
             "diversity": {"max_share_per_influencer": 0.5, "min_influencers": 2, "max_influencers": 3,
                           "min_distinct": {"niche": 3}},
             "limits": {"tier": {"micro": {"min_share": 0.3, "max_share": 0.5}},
                        "platform": {"instagram": {"min_count": 2, "max_count": 2}}}}
    # a 1 post (400), b 1 (500), c 3 (300): spend 1,200; shares 0.33, 0.42, 0.25; E 2,750; A 71,000
    rows = check_plan(catalog(), make_scenario(every), np.array([1, 1, 3]))
    assert len(rows) == 13 and all(row.slack >= 0 for row in rows)


def test_niche_and_country_filters_ignore_case():
    assert faults({"filters": {"niches": ["BEAUTY", "Tech"], "countries": ["us"]}}, [1, 0, 1]) == []
