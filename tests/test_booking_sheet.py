"""The plan as a booking sheet (issue 16.7): kept catalog columns, the catalog's path and sha256,
and the stable JSON of a comparison."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
from instances import influencer, make_catalog, make_scenario
from models import Catalog, CatalogError
from models.catalog import CatalogWarning
from optimizer import compare, solve
from reports import render

# Budget $200 books a and b ($100 each, 500 and 400 engagements); c is left out.
CATALOG = """\
id,platform,followers,engagement_rate,cost_per_post,Email,Agency,Handle URL
a,instagram,10000,0.05,100,=HYPERLINK("x"),<b>Acme</b>,https://instagram.com/a
b,tiktok,20000,0.02,100,bob@example.com,[red]Acme,https://tiktok.com/@b
c,instagram,60000,0.005,100,cat@example.com,Other,https://instagram.com/c
"""
SCENARIO = make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 200}})
runner = CliRunner()


@pytest.fixture
def catalog_file(tmp_path) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG)
    return path


def load(path: Path) -> Catalog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CatalogWarning)
        return Catalog.load(path)


def test_every_unused_column_is_kept_as_text_row_for_row(catalog_file):
    result = solve(load(catalog_file), SCENARIO, keep_columns=True)
    allocation = result.allocation
    assert list(allocation.columns[-3:]) == ["Email", "Agency", "Handle URL"]
    assert dict(zip(allocation["id"], allocation["Agency"])) == {"a": "<b>Acme</b>", "b": "[red]Acme"}
    assert result.to_dict()["allocation"][1]["Handle URL"] == "https://tiktok.com/@b"
    assert "Email" not in solve(load(catalog_file), SCENARIO).allocation.columns   # only on request


def test_named_columns_match_ignoring_case_and_may_be_influmix_columns(catalog_file):
    result = solve(load(catalog_file), SCENARIO, keep_columns=[" email ", "cost_per_post", "id"])
    assert list(result.allocation.columns[-2:]) == ["Email", "cost_per_post"]
    assert result.allocation_records[0]["cost_per_post"] == 100.0


def test_a_name_that_is_no_catalog_column_is_an_error_before_the_solve(catalog_file):
    with pytest.raises(CatalogError, match=r"catalog.csv: column 'emial' to keep is not a column of the catalog"):
        solve(load(catalog_file), SCENARIO, keep_columns=["emial"])


def test_a_column_named_like_an_allocation_column_is_refused_or_skipped():
    catalog = make_catalog([influencer("a", 10_000, 0.05, 100, spend="x", agency="y")])
    with pytest.raises(CatalogError, match="'spend' to keep has the name of an allocation column"):
        solve(catalog, SCENARIO, keep_columns=["spend"])
    with pytest.warns(CatalogWarning, match="not kept: spend"):
        result = solve(catalog, SCENARIO, keep_columns=True)
    assert result.allocation_records[0]["spend"] == 100.0 and result.allocation_records[0]["agency"] == "y"


def test_kept_cells_are_escaped_like_names(catalog_file):
    result = solve(load(catalog_file), SCENARIO, keep_columns=True)
    rows = list(csv.reader(io.StringIO(render(result, "csv"))))
    assert rows[1][rows[0].index("Email")] == "'=HYPERLINK(\"x\")"
    assert not any(cell.startswith("=") for row in rows for cell in row)
    page = render(result, "html")
    assert "&lt;b&gt;Acme&lt;/b&gt;" in page and "<b>Acme</b>" not in page


def test_kept_columns_print_literally_on_a_wide_terminal_and_go_first_on_a_narrow_one(catalog_file, monkeypatch):
    result = solve(load(catalog_file), SCENARIO, keep_columns=["agency"])
    monkeypatch.setenv("COLUMNS", "200")
    assert "[red]Acme" in render(result, "table") and "Agency" in render(result, "table")
    monkeypatch.setenv("COLUMNS", "80")
    narrow = render(result, "table")
    assert "Agency" not in narrow and "engagements" in narrow


def test_duplicate_rows_dropped_keep_the_extras_in_step(tmp_path):
    path = tmp_path / "dup.csv"
    lines = CATALOG.splitlines()
    path.write_text("\n".join([lines[0], lines[1], lines[1], lines[2], lines[3]]) + "\n")
    catalog = load(path)
    assert catalog.rows == 3 and list(catalog.extras["Agency"]) == ["<b>Acme</b>", "[red]Acme", "Other"]


def test_the_result_names_the_catalog_by_resolved_path_and_sha256(catalog_file, monkeypatch):
    monkeypatch.chdir(catalog_file.parent)
    (catalog_file.parent / "sub").mkdir()
    catalog = load(Path("sub/../catalog.csv"))
    info = solve(catalog, SCENARIO).to_dict()["catalog"]
    assert info["path"] == str(catalog_file.resolve()) and ".." not in info["path"]
    assert info["sha256"] == hashlib.sha256(catalog_file.read_bytes()).hexdigest()
    frame_info = solve(make_catalog([influencer("a", 10_000, 0.05, 100)]), SCENARIO).to_dict()["catalog"]
    assert frame_info["path"] == "<DataFrame>" and frame_info["sha256"] is None


def test_a_parquet_catalog_keeps_typed_columns_as_text_and_is_hashed(tmp_path):
    frame = pd.DataFrame([influencer("a", 10_000, 0.05, 100, rank=7), influencer("b", 20_000, 0.02, 100, rank=9)])
    path = tmp_path / "catalog.parquet"
    frame.to_parquet(path)
    result = solve(load(path), SCENARIO, keep_columns=["Rank"])
    assert [record["rank"] for record in result.allocation_records] == ["7", "9"]
    assert result.catalog.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_solve_and_report_keep_columns_on_the_command_line(catalog_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('name = "S"\ncatalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n'
                                     "[budget]\nmax = 200\n")
    done = runner.invoke(cli.app, ["solve", "s.toml", "--keep-columns", "agency,Email", "-f", "csv"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0].endswith(",cpe,Agency,Email")
    done = runner.invoke(cli.app, ["solve", "s.toml", "--keep-columns", "all", "-f", "json"])
    assert json.loads(done.stdout)["allocation"][0]["Handle URL"] == "https://instagram.com/a"
    done = runner.invoke(cli.app, ["report", "s.toml", "--keep-columns", "agency", "-o", "r.html"])
    assert done.exit_code == 0 and '<th class="text">Agency</th>' in (tmp_path / "r.html").read_text()
    done = runner.invoke(cli.app, ["solve", "s.toml", "--keep-columns", "phone"])
    assert done.exit_code == 1 and "catalog.csv: column 'phone' to keep is not a column" in done.stderr


def test_keep_columns_alone_keeps_every_column_influmix_does_not_use(catalog_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('catalog = "catalog.csv"\n[budget]\nmax = 200\n')
    every = runner.invoke(cli.app, ["solve", "s.toml", "--keep-columns", "all", "-f", "csv"]).stdout
    for args in (["--keep-columns", "-f", "csv"], ["-f", "csv", "--keep-columns"]):
        done = runner.invoke(cli.app, ["solve", "s.toml", *args])
        assert done.exit_code == 0 and done.stdout == every, done.output
    done = runner.invoke(cli.app, ["report", "s.toml", "-o", "r.html", "--keep-columns"])
    assert done.exit_code == 0 and '<th class="text">Agency</th>' in (tmp_path / "r.html").read_text()


def test_comparison_json_has_a_schema_version_and_the_same_keys_for_every_plan():
    catalog = make_catalog([influencer("a", 10_000, 0.05, 100), influencer("b", 20_000, 0.02, 100)])
    feasible = solve(catalog, SCENARIO)
    infeasible = solve(catalog, make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 200},
                                               "targets": {"engagements": 10**6}}))
    document = compare([feasible, infeasible], names=["ok", "no"]).to_dict()
    assert document["schema_version"] == 1
    figures = document["figures"]
    for figure in ("spend", "unique_reach", "impressions", "frequency", "tier:nano", "tier:mega", "reach_p10"):
        assert set(figures[figure]) == {"ok", "no"}, figure
    assert figures["unique_reach"] == {"ok": None, "no": None}
    assert figures["tier:mega"] == {"ok": 0.0, "no": None}      # a tier of the scheme booked by no plan
    assert figures["tier:micro"]["ok"] == pytest.approx(1.0)
    json.dumps(document, allow_nan=False)
