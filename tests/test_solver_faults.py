"""Both solvers give the same statuses, and a solver that fails, hangs or writes garbage ends in
a clear error or a time_limit result: never a traceback, never a hang."""

from __future__ import annotations

import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pulp
import pytest

from models import Catalog, InfluError, NoPlanError, Scenario
from optimizer import backend, solve
from optimizer.backend import SolverFailure, solve_linear
from optimizer.build import build_milp
from optimizer.problem import prepare

pytestmark = pytest.mark.timing      # runs alone: see the Makefile's test target

ROOT = Path(__file__).resolve().parent.parent
HEAD_TO_HEAD = ROOT / "scenarios/catalogs/head-to-head.csv"
REPRODUCER = f'''catalog = "{HEAD_TO_HEAD}"
[objective]
minimize = "cost"
[budget]
min = 5000
[targets]
engagements = 100
'''


def scenario(tmp_path: Path, text: str, **overrides) -> Scenario:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    loaded = Scenario.load(path)
    return loaded.override(overrides) if overrides else loaded


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_budget_min_above_what_can_be_spent_is_infeasible_on_both_solvers(tmp_path, solver):
    plan = scenario(tmp_path, REPRODUCER, **{"solver.name": solver})
    result = solve(Catalog.load(HEAD_TO_HEAD), plan)
    assert result.status == "infeasible"
    assert result.diagnosis


def test_the_reproducer_exits_3_with_cbc(tmp_path):
    (tmp_path / "s.toml").write_text(REPRODUCER)
    run = subprocess.run([sys.executable, "-c", "import cli; cli.app()", "solve", str(tmp_path / "s.toml"),
                          "--solver", "cbc"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr


def fake_cbc(folder: Path, body: str) -> str:
    """An executable shell script standing in for cbc; `$SOL` is the solution file it was asked for."""
    path = folder / "cbc"
    path.write_text('#!/bin/sh\nfor last; do :; done\nSOL="$last"\n' + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


SMALL = '''catalog = "{catalog}"
[budget]
max = 2000
[solver]
name = "cbc"
'''


@pytest.fixture
def small(tmp_path) -> tuple[Catalog, Scenario]:
    return Catalog.load(HEAD_TO_HEAD), scenario(tmp_path, SMALL.format(catalog=HEAD_TO_HEAD))


@pytest.mark.parametrize("body, words", [
    (None, "cannot run the cbc solver"),                                            # missing binary
    ("echo 'cbc: out of memory' ; exit 3", "solver cbc failed (exit code 3): cbc: out of memory"),
    ("echo 'Optimal - objective value 12' > \"$SOL\"; echo 'garbage' >> \"$SOL\"",
     "solver cbc wrote a solution that cannot be read"),
    ("printf 'not a solution at all\\n' > \"$SOL\"", "unknown status line"),
    ("exit 0", "solver cbc failed (exit code 0): no solution file"),
])
def test_a_failing_cbc_is_one_clear_error(small, tmp_path, monkeypatch, body, words):
    path = str(tmp_path / "no-such-cbc") if body is None else fake_cbc(tmp_path, body)
    monkeypatch.setattr(backend, "CBC_PATH", path)
    scratch = tmp_path / "scratch"       # cbc's folders go here, apart from any other run's
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    catalog, plan = small
    with pytest.raises(SolverFailure, match=words.replace("(", r"\(").replace(")", r"\)")):
        solve(catalog, plan)
    assert not list(scratch.glob("influmix-cbc-*"))


def test_a_hung_cbc_that_ignores_its_time_limit_and_sigint_is_killed(small, tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "CBC_PATH", fake_cbc(tmp_path, "trap '' INT\nsleep 60"))
    monkeypatch.setattr(backend, "CBC_GRACE", 0.5)
    monkeypatch.setattr(backend, "CBC_STOP_WAIT", 0.5)
    catalog, plan = small
    started = time.monotonic()
    with pytest.raises(NoPlanError, match="no plan found within the time limit of 1 s"):
        solve(catalog, plan.override({"solver.time_limit": 1}))
    assert time.monotonic() - started < 10


def test_a_hung_cbc_that_writes_its_plan_on_sigint_gives_time_limit(small, tmp_path, monkeypatch):
    """Like CBC itself on SIGINT: stop and write the best plan so far (here: book nobody)."""
    body = ("trap 'echo \"Stopped on ctrl-c - objective value 0\" > \"$SOL\"; "
            "awk \"/^    [XC]/ {print NR, \\$2, 0, 0}\" \"$2\" >> \"$SOL\"; exit 0' INT\n"
            "while :; do sleep 0.1; done")
    monkeypatch.setattr(backend, "CBC_PATH", fake_cbc(tmp_path, body.replace("$2", "$1")))
    monkeypatch.setattr(backend, "CBC_GRACE", 0.5)
    catalog, plan = small
    result = solve(catalog, plan.override({"solver.time_limit": 1}))
    assert result.status == "time_limit" and result.totals.spend == 0


@pytest.mark.parametrize("method", ["fast", "plain"])
@pytest.mark.parametrize("cost", [1e15, 1e18])
def test_a_cost_beyond_what_highs_represents_is_a_clear_error(tmp_path, method, cost):
    """HiGHS refuses coefficients from 1e15 on (PuLP then failed with an IndexError): refused
    first by the catalog's checks or else by the backend, one located line either way."""
    frame = pd.read_csv(HEAD_TO_HEAD)
    frame.loc[0, "cost_per_post"] = cost
    frame.to_csv(tmp_path / "big.csv", index=False)
    plan = scenario(tmp_path, f'catalog = "{tmp_path / "big.csv"}"\n[budget]\nmax = 2000\n')
    with pytest.raises(InfluError, match="beyond|too large|at most"):
        solve(Catalog.load(tmp_path / "big.csv"), plan, method=method)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_backend_refuses_a_model_it_cannot_represent(small, solver):
    catalog, plan = small
    model, _ = build_milp(prepare(catalog, plan))
    with pytest.raises(SolverFailure, match="coefficient of 1e\\+15, beyond what the solver can represent"):
        solve_linear(replace(model, vals=model.vals * 1e15 / abs(model.vals).max()), solver=solver)


@pytest.mark.parametrize("no_plan_grace, most, ends_after", [(0.0, 60.0, 1.5), (2.0, 60.0, 3.0), (2.0, 1.0, 2.0)])
def test_a_highs_deaf_to_its_time_limit_is_left_behind_past_it(small, monkeypatch, no_plan_grace, most, ends_after):
    """HiGHS checks neither its limit nor its callbacks in its presolve and sub-MIPs (a 150 s limit
    became 337 s): LIMIT_GRACE past the limit, or NO_PLAN_GRACE of the limit (up to NO_PLAN_GRACE_MAX)
    while it has reported no plan, the solve ends with what HiGHS reported (here nothing)."""
    release = threading.Event()
    monkeypatch.setattr(backend, "LIMIT_GRACE", 0.5)
    monkeypatch.setattr(backend, "NO_PLAN_GRACE", no_plan_grace)
    monkeypatch.setattr(backend, "NO_PLAN_GRACE_MAX", most)
    monkeypatch.setattr(pulp.LpProblem, "solve", lambda problem, options: release.wait(30))
    catalog, plan = small
    started = time.monotonic()
    try:
        with pytest.raises(NoPlanError, match="no plan found within the time limit of 1 s"):
            solve(catalog, plan.override({"solver.name": "highs", "solver.time_limit": 1}))
        assert ends_after <= time.monotonic() - started < ends_after + 3
    finally:
        release.set()
