"""The synthetic catalog generator: the contract of SPEC section 2, determinism, and calibration.

Calibration figures are the published ones (SOURCES.md): accounts per follower bracket and
median engagement rate by bracket from Kim et al., WWW 2020; the Instagram rate card. The
test that reads the reference data skips when ../shared/data is absent.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import CatalogError
from models.synthetic import SEGMENTS, generate_catalog, segment_names, write_catalog

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

BASE_COLUMNS = [
    "id", "name", "platform", "followers", "engagement_rate", "cost_per_post",
    "niche", "max_posts", "authenticity", "country",
]  # fmt: skip

# WWW'20 brackets and their published figures: share of accounts, median engagement rate.
BRACKETS = {
    "1k-10k": (1_000, 10_000, 0.37, 0.041),
    "10k-50k": (10_000, 50_000, 0.36, 0.030),
    "50k-100k": (50_000, 100_000, 0.10, 0.026),
    "100k-500k": (100_000, 500_000, 0.12, 0.025),
    "500k-1M": (500_000, 1_000_000, 0.02, 0.025),
    "1M+": (1_000_000, np.inf, 0.02, 0.024),
}


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return generate_catalog(20_000, seed=7)


def in_bracket(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    lo, hi, _, _ = BRACKETS[label]
    return frame[(frame["followers"] >= lo) & (frame["followers"] < hi)]


def instagram(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["platform"] == "instagram"]


# --- contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize("segments", [10, 30])
def test_columns_and_dtypes_follow_spec(segments):
    frame = generate_catalog(500, seed=1, segments=segments)
    names = segment_names(segments)
    assert list(frame.columns) == BASE_COLUMNS + [f"aud_{s}" for s in names]
    assert len(names) == segments
    for column in ["id", "name", "platform", "niche", "country"]:
        assert pd.api.types.is_string_dtype(frame[column]), column
    for column in ["followers", "max_posts"]:
        assert frame[column].dtype == np.int64, column
    for column in ["engagement_rate", "cost_per_post", "authenticity", *[f"aud_{s}" for s in names]]:
        assert frame[column].dtype == np.float64, column
    assert not frame.isna().any().any()


def test_segment_names():
    assert SEGMENTS == ["f13_17", "f18_24", "f25_34", "f35_44", "f45_plus",
                        "m13_17", "m18_24", "m25_34", "m35_44", "m45_plus"]  # fmt: skip
    regional = segment_names(30)
    assert regional[:3] == ["f13_17_na", "f13_17_eu", "f13_17_row"]
    assert len(set(regional)) == 30


@pytest.mark.parametrize("segments", [0, 5, 11, 20, True, "10"])
def test_other_segment_counts_are_refused(segments):
    with pytest.raises(ValueError, match="segments"):
        generate_catalog(10, segments=segments)


def test_negative_rows_are_refused():
    with pytest.raises(ValueError, match="rows"):
        generate_catalog(-1)


def test_ids_are_unique_and_zero_padded():
    assert generate_catalog(9)["id"].tolist()[-1] == "c9"
    ids = generate_catalog(1_000)["id"]
    assert ids.is_unique
    assert ids.iloc[0] == "c0001" and ids.iloc[-1] == "c1000"
    assert generate_catalog(0).empty


def test_values_in_range(catalog):
    assert catalog["engagement_rate"].between(0.001, 0.5).all()
    assert catalog["cost_per_post"].ge(10).all()
    assert catalog["max_posts"].between(1, 6).all()
    assert catalog["authenticity"].between(0.5, 1).all()
    assert catalog["followers"].between(300, 600_000_000).all()
    assert set(catalog["platform"]) == {"instagram", "tiktok", "youtube"}
    assert catalog["niche"].nunique() == 10
    assert {"US", "GB", "DE", "FR", "BR", "IN"} <= set(catalog["country"])
    assert catalog["name"].str.fullmatch(r"[a-z][a-z0-9._]+").all()
    # money has cents, shares have 4 decimals
    assert np.allclose(catalog["cost_per_post"], catalog["cost_per_post"].round(2), rtol=0, atol=1e-9)


@pytest.mark.parametrize("segments", [10, 30])
def test_audience_shares_partition_at_most_the_audience(segments):
    frame = generate_catalog(5_000, seed=3, segments=segments)
    shares = frame.filter(like="aud_")
    assert shares.shape[1] == segments
    assert shares.ge(0).all().all()
    assert shares.sum(axis=1).le(1).all()
    assert shares.sum(axis=1).ge(0.85 - segments * 1e-4).all()
    units = shares.to_numpy() * 10_000
    assert np.allclose(units, np.round(units), rtol=0, atol=1e-6)  # 4 decimals


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 200), seed=st.integers(0, 2**32 - 1), segments=st.sampled_from([10, 30]))
def test_any_catalog_keeps_the_contract(rows, seed, segments):
    frame = generate_catalog(rows, seed=seed, segments=segments)
    assert len(frame) == rows and frame["id"].is_unique
    assert frame["engagement_rate"].between(0, 1).all()
    assert frame["cost_per_post"].ge(0).all() and frame["max_posts"].ge(1).all()
    assert frame.filter(like="aud_").sum(axis=1).le(1).all()


def test_audience_leans_by_niche(catalog):
    mean = catalog.groupby("niche")[[f"aud_{s}" for s in SEGMENTS]].mean()
    female = mean[[f"aud_f{a}" for a in ["13_17", "18_24", "25_34", "35_44", "45_plus"]]].sum(axis=1)
    assert female["beauty"] > 0.7 and female["fashion"] > 0.6
    assert female["gaming"] < 0.35 and female["tech"] < 0.4 and female["finance"] < 0.4
    young_male = mean["aud_m13_17"] + mean["aud_m18_24"] + mean["aud_m25_34"]
    assert young_male["gaming"] == young_male.max()
    assert (mean["aud_f25_34"] + mean["aud_f35_44"]).idxmax() == "parenting"
    assert (mean["aud_m25_34"] + mean["aud_m35_44"]).idxmax() == "finance"


def test_regions_lean_to_the_home_country():
    frame = generate_catalog(3_000, seed=2, segments=30)
    na = frame.filter(regex=r"^aud_.*_na$").sum(axis=1)
    eu = frame.filter(regex=r"^aud_.*_eu$").sum(axis=1)
    assert na[frame["country"] == "US"].mean() > 0.5 > na[frame["country"] == "DE"].mean()
    assert eu[frame["country"] == "DE"].mean() > 0.5


# --- determinism ------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_frame_different_seed_different_frame():
    pd.testing.assert_frame_equal(generate_catalog(2_000, seed=5), generate_catalog(2_000, seed=5))
    assert not generate_catalog(2_000, seed=5).equals(generate_catalog(2_000, seed=6))


def test_segments_change_only_the_audience_columns():
    ten = generate_catalog(1_000, seed=4, segments=10)
    thirty = generate_catalog(1_000, seed=4, segments=30)
    pd.testing.assert_frame_equal(ten[BASE_COLUMNS], thirty[BASE_COLUMNS])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_same_seed_same_bytes(tmp_path, suffix):
    first, second, other = (tmp_path / f"{name}{suffix}" for name in ["first", "second", "other"])
    write_catalog(generate_catalog(3_000, seed=11, segments=30), first)
    write_catalog(generate_catalog(3_000, seed=11, segments=30), second)
    write_catalog(generate_catalog(3_000, seed=12, segments=30), other)
    assert digest(first) == digest(second)
    assert digest(first) != digest(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in [first, second, other])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_written_catalog_reads_back_unchanged(tmp_path, suffix):
    frame = generate_catalog(1_000, seed=8)
    path = tmp_path / f"catalog{suffix}"
    write_catalog(frame, path)
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"id": "str"})
    elif suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_json(path, lines=True, dtype={"id": "str"})
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_csv_prints_values_as_rounded(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["a", "b,c"],
            "cost_per_post": [1234567.89, 0.1],
            "engagement_rate": [0.0412, np.nan],
            "max_posts": [1, 6],
        }
    )
    path = tmp_path / "small.csv"
    write_catalog(frame, path)
    assert path.read_text() == 'id,cost_per_post,engagement_rate,max_posts\na,1234567.89,0.0412,1\n"b,c",0.1,,6\n'


def test_overwrite_is_whole_and_unknown_suffix_writes_nothing(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("old")
    write_catalog(generate_catalog(10), path)
    assert path.read_text().startswith("id,name,platform,")
    with pytest.raises(CatalogError, match=r"catalog\.xlsx"):
        write_catalog(generate_catalog(10), tmp_path / "catalog.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.csv"]


@pytest.mark.timing
def test_100k_rows_generate_quickly():
    generate_catalog(100, seed=0)
    start = time.perf_counter()
    generate_catalog(100_000, seed=0)
    # measured about 0.25 s; the bound only catches a row-by-row Python loop.
    assert time.perf_counter() - start < 5


# --- calibration to published figures ---------------------------------------------------------


def test_bracket_shares_match_www20(catalog):
    for label, (_, _, published, _) in BRACKETS.items():
        share = len(in_bracket(catalog, label)) / len(catalog)
        assert abs(share - published) <= 0.03, (label, share, published)
    nano = (catalog["followers"] < 1_000).mean()
    assert 0.04 <= nano <= 0.06


def test_platform_mix(catalog):
    shares = catalog["platform"].value_counts(normalize=True)
    assert shares["instagram"] == pytest.approx(0.55, abs=0.02)
    assert shares["tiktok"] == pytest.approx(0.30, abs=0.02)
    assert shares["youtube"] == pytest.approx(0.15, abs=0.02)


def test_engagement_falls_with_size(catalog):
    ig = instagram(catalog)
    small = in_bracket(ig, "1k-10k")["engagement_rate"].median()
    big = in_bracket(ig, "1M+")["engagement_rate"].median()
    assert small > big
    assert ig.loc[ig["followers"] < 1_000, "engagement_rate"].median() > small  # Markerly: ~8% under 1k


def test_engagement_by_platform(catalog):
    mid = in_bracket(catalog, "10k-50k").groupby("platform")["engagement_rate"].median()
    assert mid["tiktok"] / mid["instagram"] == pytest.approx(1.5, rel=0.15)
    assert mid["youtube"] / mid["instagram"] == pytest.approx(0.6, rel=0.15)


def test_instagram_price_follows_rate_card(catalog):
    ig = instagram(catalog)
    assert 100 <= in_bracket(ig, "10k-50k")["cost_per_post"].median() <= 500
    assert 10 <= in_bracket(ig, "1k-10k")["cost_per_post"].median() <= 100
    assert in_bracket(ig, "1M+")["cost_per_post"].median() >= 10_000
    tiktok = in_bracket(catalog[catalog["platform"] == "tiktok"], "10k-50k")["cost_per_post"].median()
    assert tiktok / in_bracket(ig, "10k-50k")["cost_per_post"].median() == pytest.approx(0.25, rel=0.25)


def test_celebrity_posts_reach_hundreds_of_thousands():
    frame = generate_catalog(100_000, seed=1)
    top = frame.loc[frame["followers"] >= 50_000_000, "cost_per_post"]
    assert len(top) > 0 and top.median() >= 200_000 and top.max() <= 3_000_000


def test_bigger_accounts_have_fewer_posts_and_less_authentic_audiences(catalog):
    small, big = in_bracket(catalog, "1k-10k"), in_bracket(catalog, "1M+")
    assert small["max_posts"].mean() > big["max_posts"].mean()
    assert small["authenticity"].median() > big["authenticity"].median()


def parse_count(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([kM]?)", text).groups()
    return float(number) * {"": 1, "k": 1e3, "M": 1e6}[unit]


def parse_range(text: str) -> tuple[float, float]:
    if text.endswith("+"):
        return parse_count(text[:-1]), np.inf
    lo, hi = text.split("-")
    return parse_count(lo), parse_count(hi)


@pytest.mark.skipif(not (DATA / "er_by_tier_www20.csv").exists(), reason="reference data ../shared/data absent")
def test_instagram_engagement_matches_www20_file(catalog):
    reference = pd.read_csv(DATA / "er_by_tier_www20.csv")
    ig = instagram(catalog)
    assert len(reference) == 6
    for row in reference.itertuples():
        lo, hi = parse_range(row.followers_range)
        tier = ig[(ig["followers"] >= lo) & (ig["followers"] < hi)]
        generated = tier["engagement_rate"].median()
        assert row.er_median / 1.5 <= generated <= row.er_median * 1.5, (row.followers_range, generated, row.er_median)
        share = ((catalog["followers"] >= lo) & (catalog["followers"] < hi)).mean()
        assert abs(share - row.share_of_catalog) <= 0.03, (row.followers_range, share, row.share_of_catalog)
