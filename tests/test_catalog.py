"""The catalog contract (SPEC section 2): reading, defaults, derived numbers, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.catalog import Catalog
from models.errors import CatalogError, Problem
from models.tiers import DEFAULT_TIERS

REQUIRED = ["id", "platform", "followers", "engagement_rate", "cost_per_post"]
HEADER = ",".join(REQUIRED)
GOOD = "c1,instagram,1000,0.05,100"
NORMALIZED = ["id", "name", "platform", "niche", "country", "tier", "followers", "engagement_rate",
              "cost_per_post", "max_posts", "authenticity"]


def write(tmp_path: Path, text: str, name: str = "catalog.csv") -> Path:
    """A catalog file with the given text, written as UTF-8 without newline translation."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def catalog_error(path: Path) -> str:
    """The message of the CatalogError that loading `path` raises."""
    with pytest.raises(CatalogError) as caught:
        Catalog.load(path)
    return str(caught.value)


# -- reading and normalizing -------------------------------------------------------------


def test_defaults_apply_and_columns_are_normalized(tmp_path):
    path = write(tmp_path, " ID ,Platform,followers,engagement_rate,cost_per_post,email,aud_f18_24\n"
                           " 0017 , Instagram ,1000.0,0.05,100,a@b.c,\n"
                           "c2,TikTok,20,0.1,5.5,,0.25\n")
    catalog = Catalog.load(path)
    frame = catalog.frame
    assert list(frame.columns) == NORMALIZED + ["aud_f18_24"]
    assert isinstance(frame.index, pd.RangeIndex) and list(frame.index) == [0, 1]
    assert frame["id"].tolist() == ["0017", "c2"]
    assert frame["name"].tolist() == ["0017", "c2"]
    assert frame["platform"].tolist() == ["instagram", "tiktok"]
    assert frame["niche"].tolist() == ["general", "general"]
    assert frame["country"].tolist() == ["", ""] and frame["tier"].tolist() == ["", ""]
    assert frame["followers"].tolist() == [1000, 20] and frame["followers"].dtype == np.int64
    assert frame["max_posts"].tolist() == [1, 1] and frame["max_posts"].dtype == np.int64
    assert frame["authenticity"].tolist() == [1.0, 1.0]
    assert frame["aud_f18_24"].tolist() == [0.0, 0.25]
    assert all(frame[c].dtype == np.float64 for c in ["engagement_rate", "cost_per_post", "authenticity", "aud_f18_24"])
    assert all(type(v) is str for v in frame["id"].to_numpy())
    assert (catalog.source, catalog.rows, catalog.segments) == (str(path), 2, ["f18_24"])


def test_given_optional_cells_are_kept(tmp_path):
    path = write(tmp_path, f"{HEADER},name,niche,country,tier,max_posts,authenticity\n"
                           f"c1,instagram,1000,0.05,100,Ann, beauty ,US,macro,3,0.8\n")
    row = Catalog.load(path).frame.iloc[0]
    assert (row["name"], row["niche"], row["country"], row["tier"]) == ("Ann", "beauty", "US", "macro")
    assert (row["max_posts"], row["authenticity"]) == (3, 0.8)


def test_byte_order_mark_and_crlf_line_endings_load(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER},aud_f18_24\r\n{GOOD},0.5\r\nc2,tiktok,20,0.1,5,\r\n".encode())
    frame = Catalog.load(path).frame
    assert frame["id"].tolist() == ["c1", "c2"]
    assert frame["aud_f18_24"].tolist() == [0.5, 0.0]


def test_parquet_and_json_lines_give_the_same_frame_as_csv(tmp_path):
    text = (f"{HEADER},name,max_posts,aud_a,aud_b\n"
            f"0017,Instagram,1000,0.05,100,Ann,2,0.5,\nc2,tiktok,20,0.1,5.5,,,0.1,0.2\n")
    expected = Catalog.load(write(tmp_path, text)).frame
    typed = pd.DataFrame({
        "id": ["0017", "c2"], "platform": ["Instagram", "tiktok"], "followers": [1000, 20],
        "engagement_rate": [0.05, 0.1], "cost_per_post": [100, 5.5], "name": ["Ann", None],
        "max_posts": [2, None], "aud_a": [0.5, 0.1], "aud_b": [None, 0.2],
    })
    typed.to_parquet(tmp_path / "catalog.parquet")
    typed.to_json(tmp_path / "catalog.jsonl", orient="records", lines=True)
    for name in ["catalog.parquet", "catalog.jsonl"]:
        pd.testing.assert_frame_equal(Catalog.load(tmp_path / name).frame, expected)
    pd.testing.assert_frame_equal(Catalog.from_frame(typed).frame, expected)


def test_json_lines_with_mixed_types_and_byte_order_mark(tmp_path):
    path = tmp_path / "catalog.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"id": "0017", "platform": "ig", "followers": "1000", '
                     b'"engagement_rate": 0.05, "cost_per_post": 100}\r\n\r\n'
                     b'{"id": 18, "platform": "yt", "followers": 2000, "engagement_rate": "0.1", "cost_per_post": 5}\n')
    frame = Catalog.load(path).frame
    assert frame["id"].tolist() == ["0017", "18"]
    assert frame["followers"].tolist() == [1000, 2000]
    assert frame["engagement_rate"].tolist() == [0.05, 0.1]


def test_from_frame_validates_like_a_file_and_names_its_source():
    frame = pd.DataFrame({"id": ["a", "b"], "platform": ["ig", "yt"], "followers": [10, 20],
                          "engagement_rate": [0.1, 0.2], "cost_per_post": [1.0, np.nan]}, index=[7, 9])
    with pytest.raises(CatalogError) as caught:
        Catalog.from_frame(frame, source="crm export")
    assert str(caught.value) == "crm export: row 2 (id 'b'), column cost_per_post: empty; cost_per_post is required"
    catalog = Catalog.from_frame(frame.fillna(5.0))
    assert catalog.path is None and catalog.source == "<DataFrame>"
    assert list(catalog.frame.index) == [0, 1]


def test_from_frame_rejects_booleans_as_numbers():
    frame = pd.DataFrame({"id": ["a"], "platform": ["ig"], "followers": [True],
                          "engagement_rate": [0.1], "cost_per_post": [1.0]})
    with pytest.raises(CatalogError, match="column followers: 'True' is not a number"):
        Catalog.from_frame(frame)


# -- derived numbers and tiers -------------------------------------------------------------


def test_derived_audience_engagements_and_segment_audience(tmp_path):
    path = write(tmp_path, f"{HEADER},authenticity,aud_f18_24,aud_m18_24\n"
                           f"c1,instagram,1000,0.05,100,0.8,0.5,0.25\nc2,tiktok,200,0.1,5,,,1\n")
    catalog = Catalog.load(path)
    np.testing.assert_allclose(catalog.audience, [800.0, 200.0])
    np.testing.assert_allclose(catalog.engagements_per_post, [50.0, 20.0])
    np.testing.assert_allclose(catalog.segment_audience("f18_24"), [400.0, 0.0])
    np.testing.assert_allclose(catalog.segment_audience("m18_24"), [200.0, 200.0])
    assert catalog.audience.dtype == np.float64
    with pytest.raises(CatalogError, match="no column 'aud_x'"):
        catalog.segment_audience("x")


def test_tier_cell_overrides_and_empty_cell_derives(tmp_path):
    path = write(tmp_path, f"{HEADER},tier\nc1,ig,9999,0.1,1,\nc2,ig,10000,0.1,1,\nc3,ig,800,0.1,1,macro\n"
                           f"c4,ig,2000000,0.1,1, \n")
    tiers = Catalog.load(path).tiers(DEFAULT_TIERS)
    assert tiers.dtype == object
    assert tiers.tolist() == ["nano", "micro", "macro", "mega"]
    assert Catalog.load(path).tiers({"small": 0, "big": 5000}).tolist() == ["big", "big", "macro", "big"]


def test_a_tier_cell_naming_a_scheme_tier_in_another_case_is_that_tier(tmp_path):
    path = write(tmp_path, f"{HEADER},tier\nc1,ig,800,0.1,1,Mega\nc2,ig,800,0.1,1,Giga\nc3,ig,800,0.1,1,SMALL\n")
    assert Catalog.load(path).tiers(DEFAULT_TIERS).tolist() == ["mega", "Giga", "SMALL"]
    assert Catalog.load(path).tiers({"Small": 0, "big": 5000}).tolist() == ["Mega", "Giga", "Small"]


# -- bad input: one located message per problem -------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    pytest.param("id,platform,cost_per_post\nc1,ig,1\n",
                 ["missing required columns: followers, engagement_rate"], id="missing-columns"),
    pytest.param(f"{HEADER},max_post\n{GOOD},2\n",
                 ["column 'max_post' is unknown; did you mean 'max_posts'?"], id="typo-column"),
    pytest.param(f"{HEADER},aud-f18_24\n{GOOD},0.1\n",
                 ["column 'aud-f18_24' is unknown; did you mean 'aud_f18_24'?"], id="typo-segment"),
    pytest.param(f"{HEADER},aud_\n{GOOD},0.1\n", ["column 'aud_' names no segment"], id="segment-without-name"),
    pytest.param(f"{HEADER},ID\n{GOOD},c2\n", ["column 'id' appears 2 times"], id="repeated-column"),
    pytest.param(f"{HEADER}\n", ["the catalog has no rows"], id="no-rows"),
    pytest.param(f"{HEADER}\n,instagram,1000,0.05,100\n", ["row 1, column id: empty; id is required"], id="empty-id"),
    pytest.param(f"{HEADER}\nc1,,1000,0.05,100\n",
                 ["row 1 (id 'c1'), column platform: empty; platform is required"], id="empty-platform"),
    pytest.param(f"{HEADER}\nc1,ig,,0.05,100\n",
                 ["row 1 (id 'c1'), column followers: empty; followers is required"], id="empty-number"),
    pytest.param(f"{HEADER}\nc1,ig,lots,0.05,100\n",
                 ["row 1 (id 'c1'), column followers: 'lots' is not a number"], id="not-a-number"),
    pytest.param(f"{HEADER}\nc1,ig,1000,NaN,100\n",
                 ["row 1 (id 'c1'), column engagement_rate: NaN is not a finite number"], id="nan"),
    pytest.param(f"{HEADER}\nc1,ig,1000,0.05,inf\n",
                 ["row 1 (id 'c1'), column cost_per_post: inf is not a finite number"], id="inf"),
    pytest.param(f"{HEADER}\nc1,ig,1000,0.05,-5\n",
                 ["row 1 (id 'c1'), column cost_per_post: -5 is negative"], id="negative-cost"),
    pytest.param(f"{HEADER}\nc1,ig,-1,0.05,5\n", ["column followers: -1 is negative"], id="negative-followers"),
    pytest.param(f"{HEADER}\nc1,ig,1.5,0.05,5\n",
                 ["row 1 (id 'c1'), column followers: 1.5 is not a whole number"], id="fractional-followers"),
    pytest.param(f"{HEADER}\nc1,ig,1e20,0.05,5\n", ["column followers: 1e20 is too large"], id="huge-followers"),
    pytest.param(f"{HEADER},max_posts\n{GOOD},0\n",
                 ["row 1 (id 'c1'), column max_posts: 0 is below 1"], id="max-posts-zero"),
    pytest.param(f"{HEADER},max_posts\n{GOOD},2.5\n", ["column max_posts: 2.5 is not a whole number"],
                 id="max-posts-fractional"),
    pytest.param(f"{HEADER}\nc1,ig,1000,250,5\n",
                 ["row 1 (id 'c1'), column engagement_rate: 250 is above 100 percent"], id="rate-far-above-one"),
    pytest.param(f"{HEADER},authenticity\n{GOOD},185\n",
                 ["column authenticity: 185 is above 100 percent"], id="authenticity"),
    pytest.param(f"{HEADER},aud_f18_24\n{GOOD},-0.1\n", ["column aud_f18_24: -0.1 is negative"], id="negative-share"),
    pytest.param(f"{HEADER},aud_f18_24\n{GOOD},130\n",
                 ["column aud_f18_24: 130 is above 100 percent"], id="share-above-100-percent"),
    pytest.param(f"{HEADER},aud_a,aud_b\n{GOOD},0.6,0.5\n",
                 ["row 1 (id 'c1'), columns aud_*: audience shares sum to 1.1"], id="shares-sum-above-one"),
    pytest.param(f"{HEADER}\nc1,ig,1,0.1,1\nc2,ig,1,0.1,1\nc1,ig,2,0.1,1\n",
                 ["row 3 (id 'c1'), column id: duplicate id 'c1', first in row 1"], id="duplicate-id"),
    pytest.param(f"{HEADER}\nc1,ig,1,0.1,1\nc2,ig,1,0.1\n", ["row 2: has 4 cells, the header has 5"], id="ragged-row"),
])
def test_bad_csv_is_reported_with_file_and_location(tmp_path, text, expected):
    message = catalog_error(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'catalog.csv'}: ")
    for fragment in expected:
        assert fragment in message


@pytest.mark.parametrize("name, content, expected", [
    pytest.param("missing.csv", None, "file not found", id="missing-file"),
    pytest.param("folder.csv", "dir", "is a directory", id="directory"),
    pytest.param("catalog.xls", b"PK\x03\x04", "unsupported file type '.xls'; use one of .csv, .tsv",
                 id="unsupported-suffix"),
    pytest.param("catalog.csv", b"id,platform\x00\x01\x02", "binary file", id="binary"),
    pytest.param("catalog.csv", "id,name\nc1,Jos\xe9\n".encode("latin-1"), "line 2: not UTF-8 text", id="latin-1"),
    pytest.param("catalog.csv", b"", "the file is empty", id="empty-file"),
    pytest.param("catalog.csv", b"\xef\xbb\xbf\r\n", "the file is empty", id="only-bom"),
    pytest.param("catalog.parquet", b"not parquet at all", "cannot read the file", id="corrupt-parquet"),
    pytest.param("catalog.jsonl", b'{"id": "c1"}\n{"id": \n', "line 2: not valid JSON", id="bad-json-line"),
    pytest.param("catalog.json", b'[{"id": "c1"}]', "line 1: expected one JSON object per line", id="json-array"),
])
def test_unreadable_files_give_one_clear_message(tmp_path, name, content, expected):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    message = catalog_error(path)
    assert message.startswith(f"{path}: ") and expected in message
    assert "Traceback" not in message and len(message.splitlines()) == 1


def test_every_problem_across_rows_and_columns_is_reported_in_row_order(tmp_path):
    path = write(tmp_path, f"{HEADER},max_posts\nc1,ig,x,0.1,1,1\nc2,ig,1,0.1,1,1\n"
                           f"c3,ig,1,500,-1,0\n,ig,1,0.1,1,1\n")
    problems = pytest.raises(CatalogError, Catalog.load, path).value.problems
    assert [str(problem) for problem in problems] == [
        "row 1 (id 'c1'), column followers: 'x' is not a number",
        "row 3 (id 'c3'), column engagement_rate: 500 is above 100 percent",
        "row 3 (id 'c3'), column cost_per_post: -1 is negative; cost_per_post must be at least 0",
        "row 3 (id 'c3'), column max_posts: 0 is below 1; max_posts must be at least 1",
        "row 4, column id: empty; id is required",
    ]


def test_many_bad_rows_are_capped_at_twenty_lines(tmp_path):
    # The message shows 20 problems and counts the rest; `problems` keeps all 25, structured.
    rows = "".join(f"c{i},ig,{i}.5,0.1,1\n" for i in range(1, 26))
    path = write(tmp_path, f"{HEADER}\n{rows}")
    error = pytest.raises(CatalogError, Catalog.load, path).value
    lines = str(error).splitlines()
    assert len(lines) == 21
    assert lines[0] == f"{path}: row 1 (id 'c1'), column followers: 1.5 is not a whole number"
    assert lines[-1] == f"{path}: ... and 5 more problems"
    assert len(error.problems) == 25
    assert error.problems[24] == Problem("25.5 is not a whole number", 25, "c25", "followers", "25.5")


def test_unknown_columns_that_are_no_near_miss_are_ignored(tmp_path):
    path = write(tmp_path, f"{HEADER},email,audience_notes,platforms_extra\n{GOOD},a@b.c,x,y\n")
    assert list(Catalog.load(path).frame.columns) == NORMALIZED


# -- fuzzing: a Catalog or a CatalogError, never anything else -------------------------------------

CELLS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", " 7 ", "0017", "1e400", "nan", "-inf", "3.4", "1.5", "\u0661\u0662", "1,5", "\u00e9t\u00e9"]),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
FRACTIONS = st.floats(min_value=0, max_value=0.5)
VALID = {
    "platform": st.sampled_from(["Instagram", " tiktok ", "youtube"]),
    "followers": st.one_of(st.integers(min_value=0, max_value=10**9), st.sampled_from(["1000.0", " 42 ", "0017"])),
    "engagement_rate": FRACTIONS,
    "cost_per_post": st.floats(min_value=0, max_value=1e6),
    "max_posts": st.integers(min_value=1, max_value=9),
    "authenticity": FRACTIONS,
    "aud_a": FRACTIONS,
    "aud_b": FRACTIONS,
}
OPTIONAL = st.lists(st.sampled_from(["name", "niche", "country", "tier", "max_posts", "authenticity", "aud_a", "aud_b",
                                     "max_post", "email", "aud-c"]), max_size=5, unique=True)


@st.composite
def frames(draw) -> pd.DataFrame:
    """Small object-typed catalogs: valid cells, a few replaced by random ones, maybe a column dropped."""
    rows = draw(st.integers(min_value=0, max_value=4))
    names = [name for name in REQUIRED if draw(st.integers(0, 19))] + draw(OPTIONAL)
    columns = {name: [f"c{i}" if name == "id" else draw(VALID.get(name, st.text(max_size=5))) for i in range(rows)]
               for name in names}
    for _ in range(draw(st.integers(min_value=0, max_value=2)) if rows and names else 0):
        columns[draw(st.sampled_from(names))][draw(st.integers(0, rows - 1))] = draw(CELLS)
    return pd.DataFrame({name: pd.Series(cells, dtype=object) for name, cells in columns.items()})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames())
def test_any_cells_give_a_catalog_or_a_catalog_error(tmp_path, frame):
    path = tmp_path / "fuzz.csv"
    frame.to_csv(path, index=False)
    for build in (lambda: Catalog.from_frame(frame), lambda: Catalog.load(path)):
        try:
            catalog = build()
        except CatalogError as error:
            assert error.problems and len(str(error).splitlines()) <= 21
        else:
            assert list(catalog.frame.columns[:len(NORMALIZED)]) == NORMALIZED
            assert np.isfinite(catalog.audience).all()


@pytest.mark.timing
def test_a_catalog_with_thousands_of_extra_columns_loads_in_linear_time(tmp_path):
    """Per column, a list search over every name: 8,000 unknown columns took 31 s, 100,000 hours."""
    import time

    extra = [f"x{k}" for k in range(12_000)]
    header = ",".join(["id", "platform", "followers", "engagement_rate", "cost_per_post", *extra])
    rows = [f"c{r},tiktok,1000,0.05,10," + ",".join("0" * len(extra)) for r in range(5)]
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    started = time.perf_counter()
    with pytest.warns(UserWarning, match="columns ignored: x0, x1"):
        catalog = Catalog.load(path, keep=["x11999"])
    assert time.perf_counter() - started < 20
    assert catalog.rows == 5
