"""`import influmix` (issue 16 item 9): the public API, safe in a project that has its own
`models` and `optimizer` packages (and `cli.py`). The package is laid out as the wheel holds it
(influmix/ with its links followed) in a tmp folder, and used from a throwaway project there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CATALOG = ("id,platform,followers,engagement_rate,cost_per_post,niche\n"
           "a,instagram,10000,0.05,300,beauty\nb,tiktok,9000,0.05,300,food\nc,instagram,100000,0.015,2000,tech\n"
           "d,tiktok,4000,0.04,100,beauty\n")
SCRIPT = textwrap.dedent("""
    import json
    import cli, models, optimizer                      # the project's own
    import influmix
    from influmix import Catalog, Scenario, CatalogError, solve, sweep, compare, errors


    def main():
        catalog = Catalog.load("catalog.csv")
        scenario = Scenario.from_dict({"objective": {"maximize": "engagements"}, "budget": {"max": 600}})
        result = solve(catalog, scenario)
        frontier = sweep(catalog, scenario, [300, 600], workers=2)  # workers unpickle influmix.* names
        try:
            Catalog.load("bad.csv")
        except CatalogError as error:
            problem = error.problems[0]
        print(json.dumps({
            "own": [models.Catalog, optimizer.solve, cli.app],
            "status": result.status, "engagements": result.totals.engagements,
            "frontier": [point.objective for point in frontier.points],
            "problem": [problem.row, problem.id, problem.column, problem.value, problem.message],
            "errors": errors.CatalogError is CatalogError,
            "influmix_file": influmix.__file__,
        }))


    if __name__ == "__main__":
        main()
""")


@pytest.fixture
def installed(tmp_path) -> Path:
    """influmix as an installed wheel holds it: one package, links followed."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "influmix", site / "influmix", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return site


@pytest.fixture
def project(tmp_path) -> Path:
    """A pipeline with its own models, optimizer and reports packages and its own cli.py."""
    project = tmp_path / "pipeline"
    for package, content in (("models", 'Catalog = "my catalog"\n'), ("optimizer", 'solve = "my solve"\n'),
                             ("reports", 'name = "my reports"\n')):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text(content)
    (project / "cli.py").write_text('app = "my cli"\n')
    (project / "catalog.csv").write_text(CATALOG)
    return project


def run_in(project: Path, installed: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=project, env={**os.environ, "PYTHONPATH": str(installed)},
                          capture_output=True, text=True, timeout=120)


def test_a_project_with_its_own_models_and_optimizer_uses_influmix(project, installed):
    (project / "bad.csv").write_text(CATALOG.replace("a,instagram,10000", "a,instagram,lots"))
    (project / "run.py").write_text(SCRIPT)
    run = run_in(project, installed, "run.py")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["own"] == ["my catalog", "my solve", "my cli"]
    assert (out["status"], out["engagements"]) == ("optimal", pytest.approx(950))
    assert out["frontier"] == pytest.approx([500, 950])
    assert out["problem"] == [1, "a", "followers", "lots", "'lots' is not a number"]
    assert out["errors"] is True and out["influmix_file"].startswith(str(installed))


def test_the_console_script_target_runs_beside_the_projects_own_packages(project, installed):
    # The command line imports every part of influmix (reports too); none may reach the project's own.
    (project / "plan.toml").write_text('catalog = "catalog.csv"\n[budget]\nmax = 600\n')
    code = ("import sys; from influmix.cli import app; sys.argv = ['influmix', *sys.argv[1:]]; app()")
    described = run_in(project, installed, "-c", code, "catalog", "describe", "catalog.csv")
    assert described.returncode == 0, described.stderr
    assert "4 influencers" in described.stdout
    solved = run_in(project, installed, "-c", code, "solve", "plan.toml")
    assert solved.returncode == 0, solved.stderr
    assert "optimal" in solved.stdout


def test_every_top_level_package_is_part_of_influmix():
    # A new top-level package must be linked into influmix/ and named in INTERNAL, or the
    # installed influmix cannot import it.
    from influmix._namespace import INTERNAL

    packages = {p.parent.name for p in REPO.glob("*/*.py")} - {"influmix", "tests", "benchmarks", "docs"}
    assert packages | {"cli"} == set(INTERNAL)
    assert all((REPO / "influmix" / name).exists() for name in packages)


def test_the_package_declares_only_influmix():
    text = (REPO / "pyproject.toml").read_text()
    assert 'influmix = "influmix.cli:app"' in text
    assert 'packages = ["influmix", "influmix.models", "influmix.optimizer", "influmix.reports"]' in text
    for link in ("models", "optimizer", "reports", "cli.py"):
        assert (REPO / "influmix" / link).resolve() == (REPO / link).resolve()
