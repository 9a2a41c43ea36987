"""The command line of SPEC section 6: every command, every format, the exit codes, and the files.

Most tests run the typer app in-process (CliRunner, stdout and stderr apart); a few run the
installed `influmix` command in a subprocess, as a user or a pipeline would.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
from models import Catalog, NoPlanError, Scenario
from models.describe import describe
from optimizer import solve

runner = CliRunner()
INFLUMIX = Path(sys.executable).parent / "influmix"
COMMANDS = (["solve"], ["compare"], ["report"], ["sweep"], ["validate"], ["catalog", "generate"], ["catalog", "describe"],
            ["schema"])

# Engagements per post E = followers * engagement_rate: a 500 for $300, b 450 for $300, c 1,500 for
# $2,000, d 160 for $100 (two posts at most), e 200 for $400. With $800 the best plan books a, b
# and two posts of d: 500 + 450 + 320 = 1,270 for $800 exactly (a, b, e would cost $1,000). With $600:
# a and b, 950; with $550: a and two posts of d, 820; with $300: a, 500.
CATALOG = """\
id,name,platform,followers,engagement_rate,cost_per_post,niche,max_posts,aud_s1,aud_s2
a,Ann,instagram,10000,0.05,300,beauty,1,0.5,0.2
b,Bob,tiktok,9000,0.05,300,food,1,0.1,0.6
c,Cat,instagram,100000,0.015,2000,tech,1,0.3,0.3
d,Dan,tiktok,4000,0.04,100,beauty,2,0.2,0.1
e,Eve,youtube,20000,0.01,400,food,1,0.4,0.4
"""


def scenario_text(budget: float = 800, extra: str = "") -> str:
    return f'name = "Small"\ncatalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n' \
           f'[budget]\nmax = {budget}\n{extra}'


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder with a small catalog and scenarios: good, lean, infeasible, unknown key, bad catalog."""
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "good.toml").write_text(scenario_text())
    (tmp_path / "lean.toml").write_text('name = "Lean"\nextends = "good.toml"\n[budget]\nmax = 600\n')
    (tmp_path / "infeasible.toml").write_text(scenario_text(500, "[coverage.s1]\nmin_reach = 50000\n"))
    (tmp_path / "typo.toml").write_text(scenario_text(800, "[diversity]\nmax_influencer = 3\n"))
    (tmp_path / "bad.csv").write_text(CATALOG.replace("0.05,300,beauty", "500,300,beauty"))
    (tmp_path / "badcat.toml").write_text(scenario_text().replace("catalog.csv", "bad.csv"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return runner.invoke(cli.app, [str(arg) for arg in args])


def api_dict(scenario_path: Path, **overrides) -> dict:
    scenario = Scenario.load(scenario_path)
    if overrides:
        scenario = scenario.override(overrides)
    return solve(Catalog.load(scenario.catalog), scenario).to_dict()


def without_timing(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    for key in ("build_seconds", "solve_seconds"):
        document["solver"].pop(key)
    return document


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and "influmix " + " ".join(command) in result.stdout


def test_no_arguments_shows_the_commands():
    result = run()
    assert result.exit_code in (0, 2)  # click's no_args_is_help exits 2 in recent releases
    assert "solve" in result.output and "sweep" in result.output


# --- solve --------------------------------------------------------------------------------------


def test_solve_table_shows_the_plan(project):
    result = run("solve", "good.toml")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "optimal" in out and "maximize engagements: 1,270" in out
    for word in ("Ann", "Bob", "Dan", "800.00", "Mix by tier", "Mix by platform", "Mix by niche",
                 "Binding constraints", "budget.max", "Audience coverage", "CPE"):
        assert word in out
    assert "Cat" not in out and "Eve" not in out
    assert result.stderr == ""


def test_solve_json_is_the_api_result(project):
    result = run("solve", "good.toml", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert without_timing(json.loads(result.stdout)) == without_timing(api_dict(project / "good.toml"))


def test_solve_csv_is_the_allocation(project):
    result = run("solve", "good.toml", "-f", "csv")
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["id", "name", "platform", "tier", "niche", "followers", "posts", "spend",
                                   "reach", "engagements", "cpe"]
    assert dict(zip(frame["id"], frame["posts"])) == {"a": 1, "b": 1, "d": 2}
    assert frame["spend"].sum() == pytest.approx(800)


def test_overrides_reach_the_scenario(project):
    result = run("solve", "good.toml", "--budget", "600", "--solver", "cbc", "--gap", "0.01",
                 "--time-limit", "30", "--method", "plain", "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["solver"]["name"] == "cbc" and document["solver"]["method"] == "plain"
    budget = next(row for row in document["constraints"] if row["name"] == "budget.max")
    assert budget["rhs"] == 600
    expected = api_dict(project / "good.toml", **{"budget.max": 600})
    assert document["objective"]["value"] == pytest.approx(expected["objective"]["value"])


@pytest.mark.parametrize("command", ["compare", "report"])
def test_time_limit_and_gap_reach_every_scenario(project, monkeypatch, command):
    solved = []
    monkeypatch.setattr(cli, "solve_each", lambda scenarios, *args, **options: solved.extend(scenarios) or
                        [solve(Catalog.load(scenario.catalog), scenario) for scenario in scenarios])
    result = run(command, "good.toml", "lean.toml", "--time-limit", "7", "--gap", "0.02", "-o", "out")
    assert result.exit_code == 0, result.output
    assert [(scenario.solver.time_limit, scenario.solver.gap) for scenario in solved] == [(7, 0.02)] * 2


def test_catalog_option_replaces_the_scenario_catalog(project):
    (project / "nocatalog.toml").write_text(scenario_text().replace('catalog = "catalog.csv"\n', ""))
    missing = run("solve", "nocatalog.toml")
    assert missing.exit_code == 1 and "key catalog" in missing.stderr
    result = run("solve", "nocatalog.toml", "--catalog", "catalog.csv", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["objective"]["value"] == pytest.approx(1270)


def test_output_holds_exactly_what_stdout_would(project):
    printed = run("solve", "good.toml", "-f", "json").stdout
    result = run("solve", "good.toml", "-f", "json", "--output", "plan.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "plan.json" in result.stderr
    assert without_timing(json.loads((project / "plan.json").read_text())) == without_timing(json.loads(printed))
    assert [path.name for path in project.iterdir() if path.name.startswith(".")] == []  # no temporary left
    table = run("solve", "good.toml", "-o", "plan.txt")
    assert table.exit_code == 0 and "Mix by tier" in (project / "plan.txt").read_text()
    run("solve", "good.toml", "-f", "csv", "-o", "plan.csv")
    assert (project / "plan.csv").read_text().startswith("id,name,platform")


@pytest.mark.parametrize("scenario, code", [("typo.toml", 1), ("badcat.toml", 1), ("missing.toml", 1),
                                            ("infeasible.toml", 3)])
def test_output_is_not_written_without_a_plan(project, scenario, code):
    result = run("solve", scenario, "-f", "json", "-o", "plan.json")
    assert result.exit_code == code
    assert not (project / "plan.json").exists()


def test_output_into_a_missing_folder_fails_before_solving(project):
    result = run("solve", "good.toml", "-o", "nowhere/plan.json")
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and "does not exist" in result.stderr


# --- exit codes and messages ------------------------------------------------------------------------


def test_unknown_key_is_one_located_line_exit_1(project):
    result = run("solve", "typo.toml")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "typo.toml" in lines[0] and "diversity.max_influencer" in lines[0] and lines[0].startswith("error:")
    assert "Traceback" not in result.output


def test_bad_catalog_names_row_and_column_exit_1(project):
    result = run("solve", "badcat.toml")
    assert result.exit_code == 1
    assert "bad.csv" in result.stderr and "row 1" in result.stderr and "engagement_rate" in result.stderr


@pytest.mark.parametrize("args", [
    ["solve"],
    ["solve", "good.toml", "--format", "xml"],
    ["solve", "good.toml", "--solver", "gurobi"],
    ["solve", "good.toml", "--budget", "-5"],
    ["frobnicate"],
    ["compare", "good.toml"],
    ["sweep", "good.toml"],
    ["sweep", "good.toml", "--budgets", "1000", "--from", "10", "--to", "20"],
    ["sweep", "good.toml", "--budgets", "ten,twenty"],
    ["sweep", "good.toml", "--from", "500", "--to", "100"],
    ["sweep", "good.toml", "--budgets", "100", "--plot", "frontier.gif"],
    ["catalog", "generate", "--rows", "10", "--segments", "12", "--output", "x.csv"],
    ["catalog", "generate", "--rows", "10", "--seed", "-1", "--output", "x.csv"],          # was a traceback
    ["catalog", "generate", "--rows", "10000000000", "--output", "x.csv"],     # was a MemoryError traceback
])
def test_usage_errors_exit_2(project, args):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_infeasible_prints_the_result_with_its_diagnosis_exit_3(project):
    result = run("solve", "infeasible.toml", "-f", "json")
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["status"] == "infeasible" and document["allocation"] == []
    assert isinstance(document["diagnosis"], list)
    assert without_timing(document) == without_timing(api_dict(project / "infeasible.toml"))
    assert "infeasible" in result.stderr
    assert "no plan meets every constraint: finding what to relax (at most 20 s)" in result.stderr  # before the wait
    table = run("solve", "infeasible.toml")
    assert table.exit_code == 3
    assert "infeasible" in table.stdout and "Diagnosis" in table.stdout
    csv = run("solve", "infeasible.toml", "-f", "csv")
    assert csv.exit_code == 3 and csv.stdout.startswith("id,name")


def test_no_plan_within_the_time_limit_exits_4(project, monkeypatch):
    def stopped(catalog, scenario, method, **options):
        raise NoPlanError(scenario.path, "no plan found within the time limit of 0.01 s")

    monkeypatch.setattr(cli, "solve", stopped)
    result = run("solve", "good.toml", "-o", "plan.json")
    assert result.exit_code == 4
    assert "time limit" in result.stderr and "good.toml" in result.stderr
    assert not (project / "plan.json").exists()


def test_warning_for_an_unknown_excluded_id_is_one_line(project):
    (project / "exclude.toml").write_text(scenario_text(800, '[selection]\nexclude = ["zz"]\n'))
    result = run("solve", "exclude.toml", "-f", "json")
    assert result.exit_code == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning:") and "zz" in lines[0]
    json.loads(result.stdout)


# --- compare ----------------------------------------------------------------------------------------


def test_compare_table_and_json(project):
    result = run("compare", "good.toml", "lean.toml")
    assert result.exit_code == 0, result.output
    assert "Small" in result.stdout and "Lean" in result.stdout and "Key figures" in result.stdout
    document = json.loads(run("compare", "good.toml", "lean.toml", "--format", "json").stdout)
    assert document["plans"] == ["Small", "Lean"]
    assert document["figures"]["engagements"]["Small"] == pytest.approx(1270)
    assert document["figures"]["spend"]["Lean"] <= 600
    # Lean ($600): a and b (950 engagements); d is booked only in the $800 plan
    assert document["membership"] == {"d": ["Small"]}


def test_compare_with_an_infeasible_scenario_exits_3(project):
    result = run("compare", "good.toml", "infeasible.toml", "-f", "json")
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["figures"]["status"] == {"Small": "optimal", "Small (2)": "infeasible"}


# --- sweep ------------------------------------------------------------------------------------------


def test_sweep_formats(project):
    table = runner.invoke(cli.app, ["sweep", "good.toml", "--budgets", "300,600,800", "--workers", "1"],
                          env={"COLUMNS": "160"})                   # wide enough for the tier columns
    assert table.exit_code == 0, table.output
    assert "per extra 1,000" in table.stdout and "1,270" in table.stdout
    assert "tier columns: share of spend" in table.stdout       # the legend under the tier columns
    narrow = runner.invoke(cli.app, ["sweep", "good.toml", "--budgets", "300,600,800", "--workers", "1"],
                           env={"COLUMNS": "60"})
    assert "micro" not in narrow.stdout and "tier columns" not in narrow.stdout  # no legend without its columns
    document = json.loads(run("sweep", "good.toml", "--budgets", "300,600,800", "-f", "json",
                              "--workers", "1").stdout)
    assert [point["budget"] for point in document["points"]] == [300, 600, 800]
    assert [point["objective"] for point in document["points"]] == pytest.approx([500, 950, 1270])
    frame = pd.read_csv(io.StringIO(run("sweep", "good.toml", "--from", "300", "--to", "800", "--steps", "3",
                                        "-f", "csv", "--workers", "1").stdout))
    assert list(frame["budget"]) == [300, 550, 800]
    assert list(frame["objective"]) == pytest.approx([500, 820, 1270])
    assert {"status", "objective", "marginal_per_1000", "share_micro"} <= set(frame.columns)


def test_a_sweep_without_a_plan_anywhere_exits_3_with_the_diagnosis_at_the_loosest_value(project):
    budgets = run("sweep", "infeasible.toml", "--budgets", "100,200000", "--workers", "1")
    assert budgets.exit_code == 3 and "infeasible at every value; at the loosest, budget.max = 200000" in budgets.stderr
    somewhere = run("sweep", "good.toml", "--key", "diversity.min_influencers", "--values", "1,50", "-f", "json",
                    "--workers", "1")
    assert somewhere.exit_code == 0, somewhere.output
    assert [point["status"] for point in json.loads(somewhere.stdout)["points"]] == ["optimal", "infeasible"]
    nowhere = run("sweep", "good.toml", "--key", "diversity.min_influencers", "--values", "50,60", "--workers", "1",
                  "--output", "frontier.csv", "--plot", "frontier.png")
    assert nowhere.exit_code == 3 and "diversity.min_influencers = 50:" in nowhere.stderr
    assert "no plan: frontier.csv not written" in nowhere.stderr and not list(project.glob("frontier.*"))
    assert "diagnosis: diversity.min_influencers" in nowhere.stderr and nowhere.stdout.count("infeasible") == 2


def test_sweep_plot_is_written_atomically(project):
    result = run("sweep", "good.toml", "--budgets", "100,300,800", "--plot", "frontier.png", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert (project / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [path.name for path in project.iterdir() if path.name.startswith(".")] == []
    failed = run("sweep", "typo.toml", "--budgets", "100", "--plot", "other.png")
    assert failed.exit_code == 1 and not (project / "other.png").exists()


# --- validate -------------------------------------------------------------------------------------


def test_validate_reports_every_file(project):
    good = run("validate", "good.toml", "lean.toml")
    assert good.exit_code == 0
    assert good.stdout.splitlines() == ["ok: good.toml (5 eligible of 5)", "ok: lean.toml (5 eligible of 5)"]
    (project / "segment.toml").write_text(scenario_text(800, "[coverage.s9]\nmin_reach = 1\n"))
    mixed = run("validate", "good.toml", "typo.toml", "segment.toml", "badcat.toml")
    assert mixed.exit_code == 1
    assert mixed.stdout.splitlines() == ["ok: good.toml (5 eligible of 5)"]
    for word in ("typo.toml", "coverage.s9", "bad.csv"):
        assert word in mixed.stderr


# --- catalog --------------------------------------------------------------------------------------


def test_catalog_generate_is_deterministic(project):
    for name, seed in (("one.csv", 7), ("two.csv", 7), ("three.csv", 8)):
        result = run("catalog", "generate", "--rows", "300", "--seed", seed, "--output", name)
        assert result.exit_code == 0, result.output
    assert (project / "one.csv").read_bytes() == (project / "two.csv").read_bytes()
    assert (project / "one.csv").read_bytes() != (project / "three.csv").read_bytes()
    assert Catalog.load(project / "one.csv").rows == 300
    wide = run("catalog", "generate", "--rows", "20", "--segments", "30", "--output", "wide.parquet")
    assert wide.exit_code == 0 and len(Catalog.load(project / "wide.parquet").segments) == 30


def test_catalog_generate_unknown_suffix_writes_nothing(project):
    result = run("catalog", "generate", "--rows", "20", "--output", "catalog.xlsx")
    assert result.exit_code == 1 and "catalog.xlsx" in result.stderr
    assert not (project / "catalog.xlsx").exists()


def test_catalog_describe(project):
    result = run("catalog", "describe", "catalog.csv")
    assert result.exit_code == 0, result.output
    for word in ("By tier", "By platform", "By niche", "s1, s2", "instagram"):
        assert word in result.stdout
    document = json.loads(run("catalog", "describe", "catalog.csv", "-f", "json").stdout)
    tiers = {row["tier"]: row for row in document["groups"]["tier"]}
    assert {tier: row["influencers"] for tier, row in tiers.items()} == {"nano": 2, "micro": 2, "mid": 1}
    assert tiers["micro"]["followers"] == 15000  # a 10,000 and e 20,000
    (project / "tiers.toml").write_text(scenario_text(800, "[tiers]\nsmall = 0\nbig = 50000\n"))
    custom = json.loads(run("catalog", "describe", "catalog.csv", "--tiers-from", "tiers.toml", "-f", "json").stdout)
    assert [row["tier"] for row in custom["groups"]["tier"]] == ["small", "big"]
    bad = run("catalog", "describe", "bad.csv")
    assert bad.exit_code == 1 and "engagement_rate" in bad.stderr


def test_describe_medians_by_hand():
    summary = describe(Catalog.from_frame(pd.read_csv(io.StringIO(CATALOG))))
    platforms = summary.groups["platform"]
    assert list(platforms.index) == ["instagram", "tiktok", "youtube"]  # most common first, ties by name
    assert platforms.loc["tiktok", "influencers"] == 2
    assert platforms.loc["tiktok", "cost_per_post"] == pytest.approx(200)        # median of 300 and 100
    assert platforms.loc["youtube", "cpe"] == pytest.approx(400 / 200)           # 20,000 x 1% = 200 per post
    assert summary.overall["influencers"] == 5 and summary.overall["followers"] == 10000


def test_schema_is_the_scenario_json_schema():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(Scenario.json_schema()))


# --- the installed command, in a subprocess -----------------------------------------------------------


def influmix(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(INFLUMIX), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_installed_command_prints_clean_json(project):
    done = influmix("solve", "good.toml", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert without_timing(json.loads(done.stdout)) == without_timing(api_dict(project / "good.toml"))


def test_installed_command_exit_codes(project):
    typo = influmix("solve", "typo.toml", "-o", "plan.json", cwd=project)
    assert typo.returncode == 1 and typo.stdout == ""
    assert typo.stderr.count("\n") == 1 and "Traceback" not in typo.stderr
    assert influmix("solve", "good.toml", "--format", "yaml", cwd=project).returncode == 2
    infeasible = influmix("solve", "infeasible.toml", "-o", "plan.json", cwd=project)
    assert infeasible.returncode == 3 and "Diagnosis" in infeasible.stdout
    assert not (project / "plan.json").exists()
