"""Bad input through the command line, found by hunting: each case is exit 1 with one line that
names the file, and leaves every input file as it was."""

from __future__ import annotations

import json
import unicodedata

import pytest

from test_cli import project, run, scenario_text  # noqa: F401  (the fixture)

OUTPUTS = [  # (command line, the input file it names as --output)
    (["solve", "good.toml"], "good.toml"),
    (["solve", "good.toml", "-f", "csv"], "catalog.csv"),
    (["solve", "lean.toml", "-f", "json"], "good.toml"),           # a base file of extends
    (["compare", "good.toml", "lean.toml"], "lean.toml"),
    (["report", "good.toml"], "catalog.csv"),
    (["sweep", "good.toml", "--budgets", "600,800"], "good.toml"),
    (["explain", "good.toml", "--prices", "0"], "good.toml"),
]


@pytest.mark.parametrize("args, target", OUTPUTS, ids=[" ".join(a) + " -o " + t for a, t in OUTPUTS])
def test_output_never_replaces_an_input(project, args, target):
    before = {path.name: path.read_bytes() for path in project.iterdir()}
    result = run(*args, "-o", target)
    assert result.exit_code == 1, result.output
    assert f"{target}: is an input of this command" in result.stderr
    assert "Traceback" not in result.output
    assert {path.name: path.read_bytes() for path in project.iterdir()} == before


def test_output_never_replaces_the_previous_plan(project):
    assert run("solve", "good.toml", "-f", "json", "-o", "plan.json").exit_code == 0
    (project / "link.json").symlink_to(project / "plan.json")
    before = (project / "plan.json").read_bytes()
    result = run("solve", "good.toml", "--previous", "plan.json", "-f", "json", "-o", "link.json")
    assert result.exit_code == 1 and "link.json: is an input of this command" in result.stderr
    assert (project / "plan.json").read_bytes() == before


@pytest.mark.parametrize("key", ["diversity.max_posts_per_influencer", "replan.max_changes"])
def test_sweep_takes_whole_numbers_for_a_count_key_left_unset(project, key):
    result = run("sweep", "good.toml", "--key", key, "--values", "1,2", "-f", "json")
    assert result.exit_code == 0, result.output
    assert [point["value"] for point in json.loads(result.stdout)["points"]] == [1, 2]


def test_sweep_plot_and_output_cannot_be_one_file(project):
    result = run("sweep", "good.toml", "--budgets", "600,800", "--plot", "frontier.png", "-o", "./frontier.png")
    assert result.exit_code == 2 and "--plot and --output name the same file" in result.output
    assert not (project / "frontier.png").exists()


def test_explain_refuses_a_time_limit_of_zero(project):
    result = run("explain", "good.toml", "--prices", "0", "--time-limit", "0")
    assert result.exit_code == 2 and "--time-limit" in result.output and "must be above 0" in result.output


@pytest.mark.parametrize("name, encoding", [("catalog.csv", "utf-16"), ("good.toml", "utf-16"),
                                            ("catalog.csv", "utf-32")])
def test_a_utf16_file_is_named_as_such(project, name, encoding):
    path = project / name
    path.write_bytes(path.read_text().encode(encoding))
    result = run("solve", "good.toml")
    assert result.exit_code == 1
    assert f"{path}: is {encoding.upper()} text, not UTF-8; save the file as UTF-8" in result.stderr


def test_an_empty_allow_list_is_an_error(project):
    (project / "none.toml").write_text(scenario_text(800, "[filters]\nniches = []\n"))
    result = run("solve", "none.toml")
    assert result.exit_code == 1
    assert "none.toml: key filters.niches: an empty list allows no niches at all" in result.stderr


def test_a_plan_with_no_eligible_row_says_so(project):
    (project / "nobody.toml").write_text(scenario_text(800, "[filters]\nmin_followers = 1e9\n"))
    result = run("solve", "nobody.toml", "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["totals"]["influencers"] == 0
    assert "nobody.toml: key filters: no row of the catalog is eligible (all 5 filtered out or excluded)" in result.stderr


def test_ids_in_a_scenario_or_plan_match_the_catalog_as_it_reads_them(project):
    """Decomposed Unicode (NFD, as some editors write) and stray spaces: the catalog's cells are
    read stripped and NFC, so are the ids that name them."""
    composed, decomposed = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    (project / "catalog.csv").write_text((project / "catalog.csv").read_text().replace("\nb,Bob", f"\n{composed},Bob"))
    (project / "named.toml").write_text(scenario_text(800, f'[selection]\ninclude = ["{decomposed}", " d"]\n'))
    result = run("solve", "named.toml", "-f", "json")
    assert result.exit_code == 0, result.output
    assert {composed, "d"} <= {row["id"] for row in json.loads(result.stdout)["allocation"]}
    (project / "plan.csv").write_text(f"id,posts\n{decomposed},1\n")
    (project / "replan.toml").write_text(scenario_text(800, f'[replan]\nkeep = ["{decomposed}"]\n'))
    result = run("solve", "replan.toml", "--previous", "plan.csv", "-f", "json")
    assert result.exit_code == 0 and "not in the catalog" not in result.stderr, result.output
    assert composed in {row["id"] for row in json.loads(result.stdout)["allocation"]}


@pytest.mark.parametrize("args", [["solve", "good.toml", "-o", "plans/"], ["report", "good.toml", "-o", "plans/"],
                                  ["sweep", "good.toml", "--budgets", "600", "--plot", "plans/"],
                                  ["catalog", "generate", "--rows", "3", "-o", "plans/"]], ids=" ".join)
def test_an_output_ending_in_a_slash_names_a_folder_not_a_file(project, args):
    result = run(*args)
    words = " ".join(result.output.replace("│", " ").split())      # the usage box wraps the message
    assert result.exit_code == 2 and "so it names a folder; give a file name" in words
    assert not (project / "plans").exists()
