"""A planner's own files (issue 16 items 1-3, issue 14 items 3, 6, 9, SPEC sections 13-14):
spreadsheet numbers, mapped and ignored columns, delimiters, .xlsx, duplicates, percent
columns, rounded audience shares, unclosed quotes, odd cells, unrepresentable values."""

from __future__ import annotations

import decimal
import json
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cli
from models import Catalog, CatalogError, Scenario, ScenarioError
from models.catalog import CatalogWarning
from models.columns import likely_meaning, parse_map_options
from models.errors import Problem

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # ../shared/data beside the repository
HEADER = "id,platform,followers,engagement_rate,cost_per_post"


def write(tmp_path: Path, text: str, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def load(path: Path, columns: dict | None = None) -> tuple[Catalog, list[str]]:
    """The catalog and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        catalog = Catalog.load(path, columns)
    return catalog, [str(w.message) for w in caught if issubclass(w.category, CatalogWarning)]


def problems(path: Path, columns: dict | None = None) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        Catalog.load(path, columns)
    return [str(problem) for problem in caught.value.problems]


# --- numbers as spreadsheets write them -------------------------------------------------------


def test_spreadsheet_numbers_are_read(tmp_path):
    path = write(tmp_path, 'id,platform,followers,engagement_rate,cost_per_post\n'
                           'a,ig,"26,565",0.02,"$1,080"\nb,ig,108K,0.03,€250\nc,ig,409.8M,0.01,1.2k\n'
                           'd,ig,"1,234,567",0.02,"2,500.50 $"\n')
    catalog, _ = load(path)
    assert catalog.frame["followers"].tolist() == [26565, 108000, 409800000, 1234567]
    assert catalog.frame["cost_per_post"].tolist() == [1080.0, 250.0, 1200.0, 2500.5]


@pytest.mark.parametrize("cell", ["12,34", "1.2.3", "5%", "$", "1,2345", "10 apples", "K"])
def test_what_is_no_number_stays_an_error(tmp_path, cell):
    path = write(tmp_path, f'{HEADER}\na,ig,1000,0.02,"{cell}"\n')
    assert problems(path) == [f"row 1 (id 'a'), column cost_per_post: {cell!r} is not a number"]


# --- percent, decided per column ----------------------------------------------------------------


def test_a_rate_column_with_a_value_above_one_is_percent(tmp_path):
    # 0.95 in a percent column means 0.95%, not 95%: the whole column is divided by 100.
    path = write(tmp_path, f"{HEADER}\na,ig,1000,0.95,10\nb,ig,1000,3.4,10\n")
    catalog, messages = load(path)
    assert catalog.frame["engagement_rate"].tolist() == pytest.approx([0.0095, 0.034])
    assert messages == [f"{path}: column engagement_rate read as percent (a value is above 1 or has a % sign): "
                        "every value divided by 100"]


def test_percent_signs_make_a_percent_column(tmp_path):
    path = write(tmp_path, f"{HEADER}\na,ig,1000,0.95%,10\nb,ig,1000,0.5,10\n")
    catalog, messages = load(path)
    assert catalog.frame["engagement_rate"].tolist() == pytest.approx([0.0095, 0.005])
    assert len(messages) == 1 and "read as percent" in messages[0]


def test_fractions_stay_fractions(tmp_path):
    catalog, messages = load(write(tmp_path, f"{HEADER}\na,ig,900,0.95,10\nb,ig,1000,0.034,10\n"))
    assert catalog.frame["engagement_rate"].tolist() == [0.95, 0.034]
    assert messages == []  # 900 followers at 95% is odd, but accounts under 1,000 are not warned about


def test_implausible_rates_are_warned_about(tmp_path):
    catalog, messages = load(write(tmp_path, f"{HEADER}\na,ig,5000,0.3,10\nb,ig,5000,0.04,10\nc,ig,900,0.4,10\n"))
    assert messages == [f"{tmp_path / 'catalog.csv'}: engagement rate above 25% in 1 row, which is implausible: "
                        "row 1 (id 'a')"]


def test_audience_columns_go_percent_together(tmp_path):
    path = write(tmp_path, f"{HEADER},aud_a,aud_b\nx,ig,1000,0.02,10,60,0.5\n")
    catalog, messages = load(path)
    assert (catalog.frame["aud_a"][0], catalog.frame["aud_b"][0]) == pytest.approx((0.6, 0.005))
    assert messages == [f"{tmp_path / 'catalog.csv'}: column aud_* (2) read as percent (a value is above 1 or has "
                        "a % sign): every value divided by 100"]


def test_explicit_percent_mapping_divides_without_a_warning(tmp_path):
    path = write(tmp_path, "Username,platform,followers,ER %,cost_per_post\na,ig,1000,0.95,10\n")
    catalog, messages = load(path, {"Username": "id", "ER %": "engagement_rate:percent"})
    assert catalog.frame["engagement_rate"][0] == pytest.approx(0.0095)
    assert messages == []


# --- audience shares (SPEC section 13) ---------------------------------------------------------


def test_shares_summing_to_at_most_1_01_are_scaled(tmp_path):
    path = write(tmp_path, f"{HEADER},aud_a,aud_b\nx,ig,1000,0.02,10,0.6,0.405\ny,ig,1000,0.02,10,0.5,0.5\n"
                           "z,ig,1000,0.02,10,0.505,0.5\n")
    catalog, messages = load(path)
    sums = catalog.frame[["aud_a", "aud_b"]].sum(axis=1).to_numpy()
    assert sums == pytest.approx([1.0, 1.0, 1.0]) and catalog.frame["aud_a"][0] == pytest.approx(0.6 / 1.005)
    assert messages == [f"{path}: audience shares of 2 rows sum to at most 1.01 and were scaled to 1: "
                        "row 1 (id 'x'), row 3 (id 'z')"]


def test_shares_above_1_01_are_an_error(tmp_path):
    path = write(tmp_path, f"{HEADER},aud_a,aud_b\nx,ig,1000,0.02,10,0.6,0.42\n")
    assert problems(path) == ["row 1 (id 'x'), columns aud_*: audience shares sum to 1.02; a row's shares "
                              "sum to at most 1 (up to 1.01 is scaled)"]


# --- columns: mapping and ignored ones -----------------------------------------------------------


EXPORT = ("Username,Network,Category,Followers,ER %,Price,Female 18-24 %,email\n"
          "anna,Instagram,beauty,\"26,565\",3.1,$900,40,a@x.org\nbo,TikTok,food,108K,5.2,$450,20,b@x.org\n")
EXPORT_MAP = {"Username": "id", "network": "platform", "Category": "niche", "Followers": "followers",
              "ER %": "engagement_rate:percent", "Price": "cost_per_post", "Female 18-24 %": "aud_f18_24:percent"}


def test_a_mapped_export_loads(tmp_path):
    catalog, messages = load(write(tmp_path, EXPORT), EXPORT_MAP)
    frame = catalog.frame
    assert frame["id"].tolist() == ["anna", "bo"] and frame["niche"].tolist() == ["beauty", "food"]
    assert frame["platform"].tolist() == ["instagram", "tiktok"]
    assert frame["engagement_rate"].tolist() == pytest.approx([0.031, 0.052])
    assert frame["aud_f18_24"].tolist() == pytest.approx([0.4, 0.2]) and catalog.segments == ["f18_24"]
    assert messages == [f"{tmp_path / 'catalog.csv'}: column ignored: email (map a column with [columns] in the "
                        "scenario or --map, e.g. Category=niche)"]


def test_ignored_columns_are_listed_with_likely_meanings(tmp_path):
    path = write(tmp_path, f"{HEADER},Category,Female 18-24 %,email\na,ig,1000,0.02,10,beauty,30,x\n")
    _, messages = load(path)
    assert messages == [f"{path}: columns ignored: Category (niche?), Female 18-24 % (aud_f18_24?), email "
                        "(map a column with [columns] in the scenario or --map, e.g. Category=niche)"]


def test_ignored_column_names_lose_control_characters(tmp_path):
    _, messages = load(write(tmp_path, f"{HEADER},\x1b[2Jnotes\na,ig,1000,0.02,10,x\n"))
    assert messages == [f"{tmp_path / 'catalog.csv'}: column ignored: [2Jnotes (map a column with [columns] in the "
                        "scenario or --map, e.g. Category=niche)"]


def test_data_in_an_unnamed_column_is_not_ignored_silently(tmp_path):
    _, messages = load(write(tmp_path, f"{HEADER},,niche,\na,ig,1000,0.02,10,beauty,food,\nb,ig,900,0.02,10,,x,\n"))
    assert messages == [f"{tmp_path / 'catalog.csv'}: data in unnamed column 6 ignored (counted from 1; the header "
                        "cell is empty: name the column to use it)"]
    _, messages = load(write(tmp_path, f"{HEADER},,\na,ig,1000,0.02,10,,\n"))  # a spreadsheet's empty trailing columns
    assert messages == []


def test_missing_required_columns_name_the_candidates(tmp_path):
    path = write(tmp_path, "Username,platform,#Followers,engagement_rate,Price\na,ig,1000,0.02,10\n")
    assert problems(path)[0] == ("missing required columns: id, followers, cost_per_post; the file has Username "
                                 "(id?), #Followers (followers?), Price (cost_per_post?): map them with [columns] "
                                 "or --map")


@pytest.mark.parametrize("name, meaning", [
    ("Category", "niche"), ("Category_1", "niche"), ("Username", "id"), ("Female 18-24 %", "aud_f18_24"),
    ("Male 45+", "aud_m45_plus"), ("Subscribers", "followers"), ("ER", "engagement_rate"), ("email", None),
    ("#Posts", None), ("Rank", None),
])
def test_likely_meanings(name, meaning):
    assert likely_meaning(name) == meaning


@pytest.mark.parametrize("mapping, expected", [
    ({"Username": "identifier"}, "'identifier' is no influmix column"),
    ({"Username": "id", "name": "id"}, "'id' is the target of 2 columns"),
    ({"Handle": "id"}, "column mapping: 'handle' is not a column of the file"),
    ({"Username": "id", "cost_per_post": "cost_per_post:percent"},
     ":percent applies to rates and shares (engagement_rate, authenticity, delivery, view_rate, aud_<segment>), not to "
     "cost_per_post"),
    ({"Username": "id", " username": "name"}, "column mapping ' username' = 'name': maps a file column mapped before"),
])
def test_bad_mappings_are_errors(tmp_path, mapping, expected):
    path = write(tmp_path, "Username,name,platform,followers,engagement_rate,cost_per_post\na,A,ig,1,0.1,1\n")
    assert any(expected in line for line in problems(path, mapping))


def test_repeated_columns_with_the_same_values_are_fine(tmp_path):
    path = write(tmp_path, "id,platform,followers,engagement_rate,cost_per_post,Followers\na,ig,409.8M,0.01,5,"
                           "409800000\n")
    assert load(path)[0].frame["followers"][0] == 409_800_000
    conflicting = write(tmp_path, "id,platform,followers,engagement_rate,cost_per_post,Followers\na,ig,5,0.01,5,6\n",
                        "other.csv")
    assert problems(conflicting) == ["column 'followers' appears 2 times (names ignore case and surrounding spaces)"]


def test_scenario_columns_table_and_command_line_map(tmp_path, monkeypatch):
    write(tmp_path, EXPORT)
    table = "\n".join(f'"{k}" = "{v}"' for k, v in EXPORT_MAP.items() if k != "Price")
    (tmp_path / "plan.toml").write_text(f'catalog = "catalog.csv"\n[budget]\nmax = 1000\n[columns]\n{table}\n')
    monkeypatch.chdir(tmp_path)
    scenario = Scenario.load(tmp_path / "plan.toml")
    assert scenario.columns["ER %"] == "engagement_rate:percent"
    missing = runner.invoke(cli.app, ["validate", "plan.toml"])
    assert missing.exit_code == 1 and "missing required column: cost_per_post" in missing.stderr
    run = runner.invoke(cli.app, ["solve", "plan.toml", "--map", "Price=cost_per_post", "-f", "json"])
    assert run.exit_code == 0, run.output
    assert sorted(row["id"] for row in json.loads(run.stdout)["allocation"]) == ["bo"]
    replaced = runner.invoke(cli.app, ["solve", "plan.toml", "--map", "Price=cost_per_post", "--map",
                                       "category=name", "-f", "json"])   # replaces the table's Category = "niche"
    assert replaced.exit_code == 0, replaced.output
    assert [row["name"] for row in json.loads(replaced.stdout)["allocation"]] == ["food"]
    described = runner.invoke(cli.app, ["catalog", "describe", "catalog.csv", *sum(
        (["--map", f"{k}={v}"] for k, v in EXPORT_MAP.items()), [])])
    assert described.exit_code == 0 and "2 influencers" in described.stdout


def test_the_api_reads_a_scenario_catalog_with_its_columns_table(tmp_path):
    """SPEC 7's `Catalog.load(scenario.catalog)` honours the scenario's [columns] (SPEC 14), also in a
    pickled scenario; columns given to Catalog.load win."""
    import pickle

    write(tmp_path, EXPORT)
    table = "\n".join(f'"{k}" = "{v}"' for k, v in EXPORT_MAP.items())
    (tmp_path / "plan.toml").write_text(f'catalog = "catalog.csv"\n[budget]\nmax = 1000\n[columns]\n{table}\n')
    scenario = pickle.loads(pickle.dumps(Scenario.load(tmp_path / "plan.toml")))
    assert Catalog.load(scenario.catalog).frame["cost_per_post"].tolist() == Catalog.load(
        tmp_path / "catalog.csv", EXPORT_MAP).frame["cost_per_post"].tolist()
    with pytest.raises(CatalogError, match="missing required column"):
        Catalog.load(scenario.catalog, {"Username": "id"})


def test_scenario_columns_are_checked(tmp_path):
    (tmp_path / "plan.toml").write_text('[columns]\nUsername = "identifier"\n')
    with pytest.raises(ScenarioError, match="key columns: 'Username' = 'identifier': 'identifier' is no influmix"):
        Scenario.load(tmp_path / "plan.toml")


def test_map_options():
    assert parse_map_options(["Username=id", "'ER %' = engagement_rate:percent", "a=b=c"]) == {
        "Username": "id", "ER %": "engagement_rate:percent", "a=b": "c"}
    with pytest.raises(ValueError, match="FILE_COLUMN=INFLUMIX_COLUMN"):
        parse_map_options(["Username"])


# --- delimiters and files ------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_detected(tmp_path, delimiter):
    text = f"{HEADER}\na,ig,1000,0.02,10\n".replace(",", delimiter)
    assert load(write(tmp_path, text, "catalog.txt"))[0].frame["id"].tolist() == ["a"]


def test_a_rule_line_under_the_header_is_skipped(tmp_path):
    text = f"{HEADER}\n=========\na,ig,1000,0.02,10\n".replace(",", "\t")
    assert load(write(tmp_path, text, "catalog.tsv"))[0].rows == 1
    unclosed = f"{HEADER},name\n-----\na,ig,1000,0.02,10,\"Ann\nb,ig,1000,0.02,10,Bob\n"
    assert problems(write(tmp_path, unclosed))[0].startswith("line 3: a quote opened here is still open at line 4")


def test_a_ragged_row_names_the_delimiter(tmp_path):
    assert problems(write(tmp_path, f"{HEADER}\na,ig,1000,0.02\n")) == [
        "row 1: has 4 cells, the header has 5; cells are split at commas (the header holds most of them)"]
    spaces = write(tmp_path, "id platform followers\na,b,c\n", "other.csv")
    assert problems(spaces) == ["row 1: has 3 cells, the header has 1; the header holds no commas, "
                                "semicolons, tabs, bars: which separates the cells?"]


def test_a_semicolon_file_with_decimal_commas(tmp_path):
    # The delimiter is found; a decimal comma is no thousands separator, so it is reported, never misread.
    path = write(tmp_path, f"{HEADER}\na;ig;1000;0,034;10\n".replace(",", ";").replace("0;034", "0,034"))
    assert problems(path) == ["row 1 (id 'a'), column engagement_rate: '0,034' is not a number"]


def test_xlsx_is_read(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Username", "platform", "followers", "engagement_rate", "cost_per_post", "Category"])
    sheet.append(["0017", "Instagram", 26565, 0.021, "$1,080", "beauty"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["bo", "tiktok", "108K", 0.05, 450.5, None])
    book.save(tmp_path / "catalog.xlsx")
    catalog, _ = load(tmp_path / "catalog.xlsx", {"Username": "id", "Category": "niche"})
    frame = catalog.frame
    assert frame["id"].tolist() == ["0017", "bo"] and frame["followers"].tolist() == [26565, 108000]
    assert frame["cost_per_post"].tolist() == [1080.0, 450.5] and frame["niche"].tolist() == ["beauty", "general"]


# --- duplicates and one pass ----------------------------------------------------------------------


def test_exact_duplicate_rows_are_dropped_with_a_warning(tmp_path):
    path = write(tmp_path, f"{HEADER}\na,ig,1000,0.02,10\nb,ig,1000,0.02,10\na,ig,1000,0.02,10\n")
    catalog, messages = load(path)
    assert catalog.frame["id"].tolist() == ["a", "b"]
    assert messages == [f"{path}: 1 exact duplicate row dropped: row 3 (id 'a')"]


def test_every_problem_in_one_pass(tmp_path):
    # Duplicate ids come with the other problems, not after they are fixed; one row numbering for all.
    path = write(tmp_path, f"{HEADER}\na,ig,x,0.02,10\nb,ig,1000,0.02,10\nb,ig,2000,0.02,10\n")
    assert problems(path) == ["row 1 (id 'a'), column followers: 'x' is not a number",
                              "row 3 (id 'b'), column id: duplicate id 'b', first in row 2"]


def test_problems_are_structured_and_complete(tmp_path):
    rows = "".join(f"c{i},ig,{i},0.02,-{i}\n" for i in range(1, 31))
    with pytest.raises(CatalogError) as caught:
        Catalog.load(write(tmp_path, f"{HEADER}\n{rows}"))
    assert len(caught.value.problems) == 30 and len(str(caught.value).splitlines()) == 21
    assert caught.value.problems[29] == Problem("-30 is negative; cost_per_post must be at least 0", 30, "c30",
                                                "cost_per_post", "-30")


# --- unclosed quotes (issue 14 item 3) -----------------------------------------------------------


def test_an_unclosed_quote_that_swallows_rows_is_an_error(tmp_path):
    path = write(tmp_path, f'{HEADER},name\na,ig,1000,0.02,10,"Anna\nb,ig,1000,0.02,10,Bob\n'
                           f'c,ig,1000,0.02,10,"Cy"\n')
    assert problems(path) == ["line 2: a quote opened here is still open at line 3, which looks like a whole row; "
                              "close the quote (write a quote inside a quoted cell as \"\")"]


def test_an_unclosed_quote_to_the_end_of_the_file_is_an_error(tmp_path):
    path = write(tmp_path, f'{HEADER},name\na,ig,1000,0.02,10,Ann\nb,ig,1000,0.02,10,"Bob\nand more\n')
    assert problems(path) == ["line 3: a quote opened here is never closed (it runs to the end of the file)"]


def test_a_quoted_cell_may_span_lines(tmp_path):
    path = write(tmp_path, f'name,{HEADER}\n"Anna\nMaria, Jr",a,ig,1000,0.02,10\n"Bob",b,ig,1000,0.02,10\n')
    assert load(path)[0].frame["name"].tolist() == ["Anna\nMaria, Jr", "Bob"]


# --- odd cells (issue 14 item 9) -------------------------------------------------------------------


def test_parquet_bytes_ids_that_are_not_utf8(tmp_path):
    table = pa.table({"id": pa.array([b"ok", b"\xff\xfe"], pa.binary()), "platform": ["ig", "ig"],
                      "followers": [1000, 1000], "engagement_rate": [0.02, 0.02], "cost_per_post": [10.0, 10.0]})
    pq.write_table(table, tmp_path / "c.parquet")
    assert problems(tmp_path / "c.parquet") == ["row 2, column id: bytes that are not UTF-8 text"]
    as_text = table.set_column(0, "id", table.column("id").chunk(0).view(pa.string()))
    pq.write_table(as_text, tmp_path / "s.parquet")
    assert problems(tmp_path / "s.parquet") == ["row 2, column id: bytes that are not UTF-8 text"]
    pq.write_table(table.set_column(0, "id", pa.array([b"ok", b"b"], pa.binary())), tmp_path / "b.parquet")
    assert load(tmp_path / "b.parquet")[0].frame["id"].tolist() == ["ok", "b"]


def test_json_objects_in_scalar_columns_are_located(tmp_path):
    lines = [{"id": "a", "platform": "ig", "followers": {"n": 5}, "engagement_rate": 0.02, "cost_per_post": 1},
             {"id": ["b"], "platform": "ig", "followers": 10, "engagement_rate": 0.02, "cost_per_post": 1}]
    path = write(tmp_path, "\n".join(json.dumps(line) for line in lines), "c.jsonl")
    assert problems(path) == ["row 1 (id 'a'), column followers: a JSON object, not a single value",
                              "row 2, column id: a JSON array, not a single value"]


def test_json_arrays_in_every_row_are_located(tmp_path):
    # When every line has an array (or object), Arrow reads a typed column: still one problem per cell.
    lines = [{"id": i, "platform": "ig", "followers": [5], "engagement_rate": 0.02, "cost_per_post": 1,
              "name": {"x": 1}} for i in ("a", "b")]
    path = write(tmp_path, "\n".join(json.dumps(line) for line in lines), "c.jsonl")
    assert problems(path) == [f"row {r} (id '{i}'), column {c}: a JSON {k}, not a single value"
                              for r, i in ((1, "a"), (2, "b")) for c, k in (("name", "object"), ("followers", "array"))]


def test_ids_are_nfc_and_case_collisions_warned(tmp_path):
    path = write(tmp_path, f"{HEADER},name\ne\u0301,ig,1000,0.02,10,Ren\u0065\u0301\n\u00e9,ig,1000,0.02,10,x\n")
    assert problems(path) == ["row 2 (id 'é'), column id: duplicate id 'é', first in row 1"]
    cased = write(tmp_path, f"{HEADER}\na,ig,1000,0.02,10\nA,ig,1000,0.02,10\nb,ig,1000,0.02,10\n", "c.csv")
    catalog, messages = load(cased)
    assert catalog.frame["id"].tolist() == ["a", "A", "b"]
    assert messages == [f"{cased}: ids that differ only by case are different creators: 'a' (row 1) and 'A' (row 2)"]
    named = write(tmp_path, f"{HEADER},name\nx,ig,1000,0.02,10,Rene\u0301\n", "n.csv")
    assert load(named)[0].frame["name"][0] == "Ren\u00e9"


# --- values the model cannot represent (issue 14 item 6) -----------------------------------------


@pytest.mark.parametrize("row, expected", [
    ("a,ig,1000,0.02,1e12", "column cost_per_post: 1e12 is too large; cost_per_post must be less than 1e+12"),
    ("a,ig,1000,0.02,1e15", "column cost_per_post: 1e15 is too large"),
    ("a,ig,1e10,0.02,10", "column followers: 1e10 is too large; followers must be less than 1e+10"),
    ("a,ig,1000,0.02,1e-320", "column cost_per_post: 1e-320 is too small; write 0 or at least 1e-09"),
    ("a,ig,1000,1e-320,10", "column engagement_rate: 1e-320 is too small"),
    ("a,ig,1000,0.02,10,1000000", "column max_posts: 1000000 is too large"),
], ids=["cost-1e12", "cost-1e15", "followers", "tiny-cost", "tiny-rate", "max-posts"])
def test_unrepresentable_values_are_refused(tmp_path, row, expected):
    path = write(tmp_path, f"{HEADER},max_posts\n{row if row.count(',') == 5 else row + ',1'}\n")
    assert any(expected in line for line in problems(path))


def test_the_largest_representable_values_load(tmp_path):
    catalog, _ = load(write(tmp_path, f"{HEADER},max_posts\na,ig,9999999999,0.02,999999999999,999999\n"))
    assert catalog.frame.loc[0, ["followers", "cost_per_post", "max_posts"]].tolist() == [
        9_999_999_999, 999_999_999_999, 999_999]


def test_a_parquet_decimal_of_1e30_is_refused(tmp_path):
    frame = pd.DataFrame({"id": ["a"], "platform": ["ig"], "followers": [1000], "engagement_rate": [0.02],
                          "cost_per_post": [decimal.Decimal("1E+30")]})
    frame.to_parquet(tmp_path / "c.parquet")
    found = problems(tmp_path / "c.parquet")
    assert len(found) == 1 and found[0].startswith("row 1 (id 'a'), column cost_per_post: 1")
    assert found[0].endswith("is too large; cost_per_post must be less than 1e+12")


@pytest.mark.parametrize("key, value", [("targets.engagements", 1e15 * 10), ("budget.max", 1e300),
                                        ("diversity.min_influencers", 99999999999999999),
                                        ("coverage.a.min_reach", 1e16)])
def test_unrepresentable_scenario_values_are_refused(key, value):
    with pytest.raises(ScenarioError, match=f"key {key}: must be at most"):
        Scenario.from_dict({}).override({key: value})


def test_a_tiny_cost_gives_a_located_error_and_no_numpy_warning(tmp_path, monkeypatch):
    write(tmp_path, f"{HEADER}\na,ig,1000,0.02,1e-320\nb,ig,1000,1e-320,10\n")
    (tmp_path / "plan.toml").write_text('catalog = "catalog.csv"\n[budget]\nmax = 100\n')
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow warning would fail the command
        run = runner.invoke(cli.app, ["solve", "plan.toml"])
    assert run.exit_code == 1 and "overflow" not in run.stderr
    assert "row 1 (id 'a'), column cost_per_post: 1e-320 is too small" in run.stderr


# --- the real exports in ../shared/data (read only; skipped without them) ----------------------


@pytest.mark.skipif(not (DATA / "www20_influencers.txt").is_file(), reason="reference data absent")
def test_the_www20_export_reads_as_far_as_it_goes():
    # The file has no platform, rate or price: mapped, it fails only for those, and reads all 33,935 rows.
    mapping = {"Username": "id", "Category": "niche", "#Followers": "followers"}
    found = problems(DATA / "www20_influencers.txt", mapping)
    assert found == ["missing required columns: platform, engagement_rate, cost_per_post"]


@pytest.mark.skipif(not (DATA / "instagram_top1000_2022-12.csv").is_file(), reason="reference data absent")
def test_the_top1000_export_reads_its_spreadsheet_numbers():
    mapping = {"name": "id", "instagram name": "name", "Category_1": "niche"}
    found = problems(DATA / "instagram_top1000_2022-12.csv", mapping)
    # followers appears twice (409.8M and 409800000): alike, so no problem; the missing columns and
    # the conflicting duplicate ids of the export are all reported in one pass.
    assert found[0] == "missing required columns: platform, engagement_rate, cost_per_post"
    assert all("duplicate id" in line for line in found[1:]) and len(found) > 1
    assert not any("followers" in line for line in found)
