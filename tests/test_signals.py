"""Ctrl-C and SIGTERM, for real: the command line runs in a subprocess and gets the signal.

A solve stops within seconds and reports its best plan so far as time_limit (exit 0), or no
plan (exit 4); no traceback, no partial --output, no CBC child or temporary file left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.synthetic import generate_catalog, write_catalog

pytestmark = pytest.mark.timing      # runs alone: see the Makefile's test target

ROOT = Path(__file__).resolve().parent.parent
STOP_WITHIN = 8.0   # seconds from the signal to the exit; 1-1.5 s on a quiet machine, more under a full suite


@pytest.fixture(scope="module")
def big_scenario(tmp_path_factory) -> Path:
    """The flagship scenario on 10,000 generated influencers: with --gap 0 the plain MILP runs for minutes."""
    folder = tmp_path_factory.mktemp("signals")
    write_catalog(generate_catalog(10_000, seed=3), folder / "catalog.csv")
    text = (ROOT / "scenarios/spring-launch.toml").read_text()
    lines = [f'catalog = "{folder / "catalog.csv"}"' if line.startswith("catalog =") else line
             for line in text.splitlines()]
    (folder / "scenario.toml").write_text("\n".join(lines) + "\n")
    return folder / "scenario.toml"


def run_and_signal(args: list[str], after: float, signum: int, *, env: dict | None = None,
                   wait_for: str | None = None) -> tuple[int, str, str, float]:
    """Run `influmix ARGS`, send `signum` after `after` seconds (or once stderr shows `wait_for`);
    exit code, stdout, stderr and the seconds from the signal to the exit."""
    child = subprocess.Popen([sys.executable, "-c", "import cli; cli.app()", *args], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, **(env or {})})
    seen = ""
    try:
        if wait_for is not None:               # the line arrives within `after` seconds or the test fails
            deadline = time.monotonic() + after
            while wait_for not in seen and time.monotonic() < deadline and child.poll() is None:
                seen += child.stderr.readline()
            assert wait_for in seen, seen
        else:
            time.sleep(after)
        assert child.poll() is None, "finished before the signal: make the case bigger"
        sent = time.monotonic()
        child.send_signal(signum)
        out, err = child.communicate(timeout=60)
    finally:                                   # a failed assertion must not leave the solve running
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, out, seen + err, time.monotonic() - sent


@pytest.mark.parametrize("signum", [signal.SIGINT])   # SIGTERM: the no-plan and CBC cases below
def test_a_solve_stops_within_seconds_with_its_best_plan(big_scenario, tmp_path, signum):
    output = tmp_path / "plan.json"
    code, out, err, took = run_and_signal(
        ["solve", str(big_scenario), "--method", "plain", "--gap", "0", "--format", "json", "--output", str(output)],
        30, signum,
        wait_for="solving: best plan")          # a progress line: no time limit and past 5 s
    assert took < STOP_WITHIN, err
    assert "Traceback" not in err
    assert code == 0, err
    result = json.loads(output.read_text())
    assert result["status"] == "time_limit"
    assert result["objective"]["gap"] is not None and result["objective"]["bound"] >= result["objective"]["value"]


def test_a_solve_stopped_before_any_plan_writes_nothing(big_scenario, tmp_path):
    output = tmp_path / "plan.json"
    code, out, err, took = run_and_signal(
        ["solve", str(big_scenario), "--method", "plain", "--format", "json", "--output", str(output)], 4,
        signal.SIGTERM)
    assert took < STOP_WITHIN and "Traceback" not in err
    assert code in (0, 4), err
    assert output.exists() == (code == 0)
    if code == 4:
        assert "stopped (interrupted) before any plan was found" in err


def test_cbc_child_and_its_files_go_with_the_solve(tmp_path):
    """The sample flagship takes CBC over a minute: SIGTERM stops it, reaps it, removes its files."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    code, out, err, took = run_and_signal(["solve", "scenarios/spring-launch.toml", "--solver", "cbc"], 4,
                                          signal.SIGTERM, env={"TMPDIR": str(temp)})
    assert took < STOP_WITHIN and "Traceback" not in err
    assert code in (0, 4), err
    assert list(temp.iterdir()) == []
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).find(str(temp)) >= 0]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_explain_stops_on_ctrl_c_without_a_traceback_or_output(tmp_path):
    """SIGINT while explain re-solves: exit 130, no traceback, nothing written, workers reaped."""
    output = tmp_path / "explain.json"
    code, out, err, took = run_and_signal(["explain", "scenarios/spring-launch.toml", "--prices", "3", "--format",
                                           "json", "--output", str(output)], 15, signal.SIGINT)
    assert took < STOP_WITHIN and "Traceback" not in err
    assert code == 128 + signal.SIGINT, err
    assert not output.exists()


def test_catalog_generate_stopped_by_sigterm_writes_nothing(tmp_path):
    """A single SIGTERM outside the solves (here: while a big catalog is generated) stops the command
    at once: exit 143, no file (it was a flag no one looked at: the catalog was written, exit 0)."""
    output = tmp_path / "catalog.csv"
    code, out, err, took = run_and_signal(["catalog", "generate", "--rows", "500000", "--output", str(output)], 2.5,
                                          signal.SIGTERM)
    assert code == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert took < STOP_WITHIN and "nothing written" in err
    assert list(tmp_path.iterdir()) == []
