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


@pytest.mark.parametrize("args", [["--from", "1", "--to", "2", "--steps", "100000000"],
                                  ["--budgets", ",".join(map(str, range(10_001)))]], ids=["steps", "budgets"])
def test_a_sweep_of_more_than_ten_thousand_values_is_refused_at_once(project, args):
    """--steps 100000000 built 10 GB of scenarios before the first solve, deaf to one SIGTERM."""
    result = run("sweep", "good.toml", *args)
    assert result.exit_code == 2 and "10000" in result.output.replace(",", "")


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


# --- catalogs and scenarios that read as something else -----------------------------------------


def workbook(project, name: str = "catalog.xlsx", extra_sheets: dict[str, list] | None = None):
    """The project's catalog as a workbook (numbers as numbers), with more sheets if asked."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for line in (project / "catalog.csv").read_text().splitlines():
        book.active.append([float(cell) if cell[0].isdigit() else cell for cell in line.split(",")])
    for title, rows in (extra_sheets or {}).items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(project / name)
    (project / "book.toml").write_text(scenario_text().replace("catalog.csv", name))
    return book


def test_the_other_sheets_of_a_workbook_are_named_in_a_warning(project):
    workbook(project, extra_sheets={"Notes": [["call Ann first"]], "Empty": []})
    result = run("solve", "book.toml", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"]["value"] == 1270     # the first sheet, read whole; stdout pure JSON
    assert (f"warning: {project / 'catalog.xlsx'}: the workbook has 2 sheets with data; read the first, 'Sheet', "
            "and ignored 'Notes' (move the catalog to the first sheet") in result.stderr
    assert "'Empty'" not in result.stderr                             # an empty sheet is no data left out


def test_a_single_sheet_workbook_gives_no_sheet_warning(project):
    workbook(project)
    result = run("solve", "book.toml", "-f", "json")
    assert result.exit_code == 0 and "sheet" not in result.stderr, result.output


def unsaved_formula(project, saved: str | None = None) -> None:
    """The workbook with Ann's cost_per_post (cell F2) a formula, saved without a result (as openpyxl
    writes it) or, with `saved`, with that result (as Excel writes it)."""
    import zipfile

    book = workbook(project)
    book.active["F2"] = "=150*2"
    book.save(project / "catalog.xlsx")
    if saved is not None:
        path = project / "catalog.xlsx"
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
            b"<f>150*2</f><v />", f"<f>150*2</f><v>{saved}</v>".encode())
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)


def test_a_formula_saved_without_its_result_is_located(project):
    unsaved_formula(project)
    result = run("solve", "book.toml", "-f", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        f"error: {project / 'catalog.xlsx'}: sheet 'Sheet', cell F2 (row 2, column cost_per_post): a formula saved "
        "without its result; open the file in Excel or LibreOffice and save it again (or export it as CSV)")


def test_a_formula_with_its_saved_result_reads_as_that_result(project):
    unsaved_formula(project, saved="300")
    result = run("solve", "book.toml", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"]["value"] == 1270


def test_a_json_lines_key_given_twice_is_located(project):
    (project / "catalog.jsonl").write_text(
        '{"id": "a", "platform": "ig", "followers": 1000, "engagement_rate": 0.05, "cost_per_post": 10}\n'
        '{"id": "b", "platform": "ig", "followers": 1000, "engagement_rate": 0.05, "cost_per_post": 10, '
        '"cost_per_post": 99}\n')
    (project / "lines.toml").write_text(scenario_text().replace("catalog.csv", "catalog.jsonl"))
    result = run("solve", "lines.toml")
    assert result.exit_code == 1
    assert (f"{project / 'catalog.jsonl'}: line 2: key 'cost_per_post' appears twice in one object; keep one of "
            "its values") in result.stderr


@pytest.mark.parametrize("keep", ["email", "EMAIL,cost_per_post", "all"])
def test_a_kept_column_is_not_reported_as_ignored(project, keep):
    text = (project / "catalog.csv").read_text().splitlines()
    rows = [text[0] + ",email,agency"] + [f"{line},{line[0]}@x.org,=A1" for line in text[1:]]
    (project / "catalog.csv").write_text("\n".join(rows) + "\n")
    result = run("solve", "good.toml", "--keep-columns", keep, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "email" not in result.stderr
    assert ("column ignored: agency" in result.stderr) is (keep != "all")   # what is not kept is still said to be
    assert "a@x.org" in result.stdout                                       # ignored
    assert ("'=A1" in result.stdout) is (keep == "all")                     # a kept cell stays formula-safe


def test_explain_steps_a_budget_of_zero_to_the_cheapest_booking(project):
    (project / "zero.toml").write_text(scenario_text(0))
    result = run("explain", "zero.toml", "--prices", "0", "--workers", "1", "-f", "json")
    assert result.exit_code == 0, result.output
    [budget] = json.loads(result.stdout)["constraints"]
    assert (budget["key"], budget["bound"], budget["relaxed_bound"], budget["status"]) == ("budget.max", 0, 100, "computed")
    assert budget["relaxed_objective"] == 160          # Dan's one post of $100: 4,000 x 0.04
    assert "already at its loosest" not in budget["note"] and "cheapest eligible booking" in budget["note"]


@pytest.mark.parametrize("args, title", [
    (["--key", "diversity.max_share_per_influencer", "--values", "0.5,0.8"],
     "Small: maximize engagements by diversity.max_share_per_influencer\n"),
    (["--key", "diversity.max_influencers", "--values", "2,3"], "Small: maximize engagements by diversity.max_influencers\n"),
    (["--budgets", "600,800"], "Small: maximize engagements by budget (USD)"),
    (["--key", "budget.min", "--values", "0,100"], "Small: maximize engagements by budget.min (USD)"),
])
def test_the_sweep_title_shows_the_currency_only_for_money(project, args, title):
    result = run("sweep", "good.toml", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith(title.rstrip("\n")), result.stdout
    assert ("(USD)" in result.stdout.splitlines()[0]) is ("USD" in title)


@pytest.mark.parametrize("name", ['""', '"   "'])
def test_an_empty_scenario_name_is_refused(project, name):
    (project / "nameless.toml").write_text(scenario_text().replace('"Small"', name))
    result = run("compare", "nameless.toml", "good.toml")
    assert result.exit_code == 1 and result.stdout == ""
    assert (f"{project / 'nameless.toml'}: key name: is empty; give the scenario a name, or leave the key out "
            "for the file's stem") in result.stderr
