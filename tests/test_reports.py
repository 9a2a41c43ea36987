"""What influmix writes: user strings shown literally on a terminal, formula-safe and rounded CSV,
tables that fit 80 columns, long allocations cut, and a reader that leaves early.

Catalog text and scenario names are user data; every command that prints them is run on a
catalog whose names are rich markup and escape sequences (issue 14 item 2).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
from instances import influencer, make_catalog, make_scenario
from optimizer import solve, sweep
from reports import render
from reports.output import deliver
from reports.sheets import safe_cell, significant
from reports.text import printable

runner = CliRunner()
HOSTILE = {
    "a": "[/bold]",
    "b": "Anna [official]",
    "c": "[link=https://evil.example]click me[/link]",
    "d": "clear\x1b[2Jscreen\x07",
    "e": "=HYPERLINK(\"http://evil.example\",\"x\")",
}
# Five creators, each worth booking at $1,000: every name shows in the plan.
ROWS = [
    influencer(id_, 10_000 * (k + 1), 0.05, 100, name=name, niche=("[/bold]", "[red]food", "tech")[min(k, 2)])
    for k, (id_, name) in enumerate(HOSTILE.items())
]
SCENARIO = 'name = "Q2 [/] push \\u001b[31m"\ncatalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n' \
           '[budget]\nmax = 1000\n'


@pytest.fixture
def hostile(tmp_path, monkeypatch) -> Path:
    pd.DataFrame(ROWS).to_csv(tmp_path / "catalog.csv", index=False)
    (tmp_path / "q2.toml").write_text(SCENARIO)
    (tmp_path / "q3.toml").write_text(SCENARIO.replace("max = 1000", "max = 300"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, columns: int = 160):
    return runner.invoke(cli.app, [str(arg) for arg in args], env={"COLUMNS": str(columns)})


def assert_literal(text: str) -> None:
    """Every hostile string printed as written, no escape character, no hyperlink."""
    assert "\x1b" not in text and "\x07" not in text
    for name in ("[/bold]", "Anna [official]", "[link=https://evil.example]click", "clear[2Jscreen"):
        assert name in text, name


# --- terminal: markup and control characters (issue 14 item 2) ---------------------------------------


def test_solve_prints_markup_names_literally(hostile):
    result = run("solve", "q2.toml")
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout)
    assert "[red]food" in result.stdout and "Q2 [/] push [31m" in result.stdout


def test_catalog_describe_prints_markup_literally(hostile):
    result = run("catalog", "describe", "catalog.csv")
    assert result.exit_code == 0, result.output
    assert "[red]food" in result.stdout and "[/bold]" in result.stdout and "\x1b" not in result.stdout


def test_sweep_with_a_markup_scenario_name(hostile):
    result = run("sweep", "q2.toml", "--budgets", "300,1000", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "Q2 [/] push [31m" in result.stdout and "\x1b" not in result.stdout


def test_compare_with_markup_scenario_names(hostile):
    result = run("compare", "q2.toml", "q3.toml")
    assert result.exit_code == 0, result.output
    assert "Q2 [/] push [31m" in result.stdout and "\x1b" not in result.stdout
    assert "[/bold]" in result.stdout or "Anna [official]" in result.stdout  # booked in one plan only


def test_errors_and_warnings_print_literally(hostile):
    (hostile / "bad.toml").write_text(SCENARIO + '[selection]\nexclude = ["[/bold]\\u001b[2J"]\n')
    result = run("solve", "bad.toml", "-f", "json")
    assert result.exit_code == 0, result.output
    assert "[/bold][2J" in result.stderr and "\x1b" not in result.stderr


def test_printable_strips_control_characters_and_bidi_overrides():
    assert printable("a\x1b[2Jb\tc\nd\x00e\u202ef\x9b") == "a[2Jb c def"


# --- CSV: formula injection and rounding (issue 12 item 4, issue 16 item 7) -----------------------------


@pytest.mark.parametrize("cell, safe", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-5", "-5"), ("-1.5e3", "-1.5e3"), ("+7", "+7"), ("Ann", "Ann"), ("a=b", "a=b"),
    (-5.0, -5.0), (3, 3),
])
def test_cells_that_start_a_formula_are_quoted(cell, safe):
    assert safe_cell(cell) == safe


def test_solve_csv_is_formula_safe_and_numbers_stay_numbers(hostile):
    result = run("solve", "q2.toml", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    names = {row["id"]: row["name"] for row in rows}
    assert names["e"] == "'" + HOSTILE["e"]
    assert names["b"] == HOSTILE["b"]
    for row in rows:
        for column in ("followers", "posts", "spend", "reach", "engagements", "cpe"):
            float(row[column])  # still a number


def test_a_carriage_return_in_a_name_stays_inside_its_csv_cell():
    """Python's CSV writer left a bare CR unquoted with \\n line ends: a reader saw the row end there."""
    names = {"a": "Ann\rMarie", "b": "Bo\nLee", "c": "Cy"}
    result = solve(make_catalog([influencer(i, 10_000, 0.05, 100, name=n) for i, n in names.items()]),
                   make_scenario({"budget": {"max": 300}}))
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"), newline="")))
    assert {row["id"]: row["name"] for row in rows} == names


def test_text_for_a_terminal_loses_its_control_characters(monkeypatch):
    """CSV (or any text) printed on a terminal cannot send it escape sequences; a pipe gets the data as it is."""
    class Screen(io.StringIO):
        def __init__(self, terminal: bool):
            super().__init__()
            self.terminal = terminal

        def isatty(self) -> bool:
            return self.terminal

    for terminal, expected in ((True, "id,name\nd,clear[2Jscreen\n"), (False, "id,name\nd,clear\x1b[2Jscreen\x07\n")):
        for output in (None, Path("-")):
            monkeypatch.setattr(sys, "stdout", Screen(terminal))
            deliver("id,name\nd,clear\x1b[2Jscreen\x07\n", output)
            assert sys.stdout.getvalue() == expected


def test_a_kept_column_named_like_a_formula_is_quoted_in_the_csv_header():
    with pytest.warns(UserWarning, match="columns ignored: =cmd, @at"):
        catalog = make_catalog([influencer("a", 10_000, 0.05, 100, **{"=cmd": "=1+1", "@at": "x"})])
    result = solve(catalog, make_scenario(objective={"maximize": "engagements"}, budget={"max": 100}),
                   keep_columns=True)
    header, row = list(csv.reader(io.StringIO(render(result, "csv"))))
    assert header[-2:] == ["'=cmd", "'@at"] and row[-2:] == ["'=1+1", "x"]


def test_csv_money_to_cents_rates_to_six_significant_digits():
    catalog = make_catalog([influencer("a", 917_716, 0.0499, 33.333333, name="A", niche="x"),
                            influencer("b", 33_333, 0.0333, 11.111111, name="B", niche="y")])
    result = solve(catalog, make_scenario(objective={"maximize": "engagements"}, budget={"max": 1000}))
    text = render(result, "csv")
    assert "45835.799999999996" not in text and "33.333333" not in text
    frame = pd.read_csv(io.StringIO(text))
    for column in ("spend",):
        assert all(round(value, 2) == value for value in frame[column])
    for value in frame["cpe"]:
        assert value == significant(value) and len(f"{value:.12g}".replace(".", "").lstrip("0")) <= 6
    assert frame["engagements"].sum() == pytest.approx(result.totals.engagements, rel=1e-9)
    assert significant(45835.799999999996) == 45835.8 and significant(0.000123456789) == 0.000123457


def test_sweep_csv_has_a_column_for_every_tier_of_the_scheme():
    catalog = make_catalog([influencer("a", 20_000, 0.05, 100), influencer("b", 30_000, 0.05, 100)])
    frontier = sweep(catalog, make_scenario(objective={"maximize": "engagements"}, budget={"max": 1000}),
                     [100, 200], workers=1)
    frame = pd.read_csv(io.StringIO(render(frontier, "csv")))
    assert [column for column in frame.columns if column.startswith("share_")] == [
        "share_nano", "share_micro", "share_mid", "share_macro", "share_mega"]
    assert list(frame["share_micro"]) == [1.0, 1.0] and list(frame["share_mega"]) == [0.0, 0.0]


# --- tables at 80 columns, long allocations, no names, a closed pipe (issue 16 item 8) ------------------

SAMPLE = Path(__file__).resolve().parent.parent / "scenarios"


def widest(text: str) -> int:
    return max(len(line.rstrip()) for line in text.splitlines())


@pytest.fixture(scope="module")
def big_plan():
    """A plan that books 95 influencers (everyone, one post each), with names and big figures."""
    rows = [influencer(f"c{k:04d}", 5_000 + 25_000 * k, 0.03, 50 + k, name=f"creator_{k}.official",
                       platform=("instagram", "tiktok")[k % 2], niche=("lifestyle", "parenting")[k % 2], max_posts=1)
            for k in range(95)]
    return solve(make_catalog(rows), make_scenario(objective={"maximize": "engagements"},
                                                   budget={"max": 1_000_000}))


def test_tables_fit_80_columns(big_plan, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = render(big_plan, "table")
    assert widest(text) <= 80
    assert "engagements" in text and "spend (USD)" in text and "followers" not in text  # a column left out
    monkeypatch.setenv("COLUMNS", "200")
    assert "followers" in render(big_plan, "table")


def test_long_allocations_are_cut_unless_all(big_plan, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    ids = list(big_plan.allocation["id"])
    cut = render(big_plan, "table")
    assert len(ids) == 95
    assert sum(id_ in cut for id_ in ids) == 15 and "80 more influencers" in cut
    assert ids[0] in cut and ids[-1] in cut and ids[20] not in cut
    five, every = render(big_plan, "table", top=5), render(big_plan, "table", top=None)
    assert sum(id_ in five for id_ in ids) == 5
    assert all(id_ in every for id_ in ids) and "more influencers" not in every


def test_top_and_all_options(hostile):
    three = run("solve", "q2.toml", "--top", "3")
    assert three.exit_code == 0 and "2 more influencers" in three.stdout
    every = run("solve", "q2.toml", "--top", "3", "--all")
    assert every.exit_code == 0 and "more influencers" not in every.stdout


def test_an_id_is_not_repeated_as_a_name(tmp_path, monkeypatch):
    pd.DataFrame([{key: value for key, value in row.items() if key != "name"} for row in ROWS]).to_csv(
        tmp_path / "catalog.csv", index=False)
    (tmp_path / "q2.toml").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    result = run("solve", "q2.toml")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if line.strip().startswith("id"))
    assert "name" not in header.split()


@pytest.mark.parametrize("reader, shown", [("head -c 1", "T"), ("true", "")])
def test_a_closed_pipe_ends_quietly(reader, shown):
    """`influmix solve x.toml | head -1`: what the reader takes, then a quiet exit with the command's own
    code (`true` leaves before the first write: the write itself fails)."""
    done = subprocess.run(
        f"{sys.executable} -c 'import cli; cli.app()' solve {SAMPLE / 'ten-micro-vs-one-macro.toml'} --all "
        f"| {reader}; echo \"${{PIPESTATUS[0]}}\" >&2",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parent.parent, env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"})
    assert done.stdout == shown
    assert done.stderr.strip() == "0", done.stderr


def test_a_plot_title_with_dollars_is_not_mathtext():
    """matplotlib reads `$...$` as mathtext (italic glyphs, DejaVuSans-Oblique): a scenario name is plain text."""
    catalog = make_catalog([influencer("a", 20_000, 0.05, 100), influencer("b", 30_000, 0.05, 100)])
    frontier = sweep(catalog, make_scenario(name="Budget $5k or $10k", objective={"maximize": "engagements"},
                                            budget={"max": 1000}), [100, 200], workers=1)
    assert render(frontier, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    svg = render(frontier, "svg")
    assert b"Budget $5k or $10k" in svg and b"Oblique" not in svg


def test_a_plan_worth_0_under_a_larger_bound_has_no_gap_and_says_so(capsys):
    """A time-limited plan worth 0 (the empty plan) has no gap relative to it: null, not 1e9 x the bound."""
    import dataclasses

    from optimizer.report import _objective

    scenario = make_scenario(budget={"max": 1000})
    assert _objective(scenario, 0.0, 410_057.0).gap is None
    assert _objective(scenario, 0.0, 0.0).gap == 0.0
    assert _objective(scenario, 50.0, 100.0).gap == pytest.approx(1.0)
    result = solve(make_catalog([influencer("a", 10_000, 0.05, 100)]), scenario)
    stopped = dataclasses.replace(result, status="time_limit", objective=_objective(scenario, 0.0, 410_057.0))
    cli.report_status(stopped)
    assert "best plan found, worth 0; no plan is worth more than 410,057" in capsys.readouterr().err
    assert json.loads(render(stopped, "json"))["objective"]["gap"] is None
