"""Sweeps and comparisons on executors: local processes, a real Dask cluster on 127.0.0.1, a
script without a main guard, a lost worker, and Ctrl-C/SIGTERM to a running sweep."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from instances import influencer, make_catalog, make_scenario
from models import Catalog, Scenario, ScenarioError
from optimizer import backend, sweep
from optimizer.executors import WorkerFailure, local_pool, solve_all

pytestmark = pytest.mark.timing      # runs alone: see the Makefile's test target

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scenarios/spring-launch.toml"
ROWS = [influencer(f"c{k}", 10_000 + 3_000 * k, 0.02 + 0.004 * (k % 5), 100 + 40 * (k % 7),
                   niche=("beauty", "food", "tech")[k % 3]) for k in range(30)]
BUDGETS = [300, 600, 900, 1500]


def small() -> tuple[Catalog, Scenario]:
    return make_catalog(ROWS), make_scenario({"objective": {"maximize": "engagements"}, "budget": {"max": 300}})


def figures(frontier) -> list[tuple]:
    return [(p.value, p.status, p.objective, p.spend, p.influencers) for p in frontier.points]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="Dask is the optional extra influmix[dask]")
    cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()


def test_a_dask_cluster_gives_the_local_results(cluster):
    _, client = cluster
    catalog, scenario = small()
    local = sweep(catalog, scenario, BUDGETS, workers=1)
    remote = sweep(catalog, scenario, BUDGETS, executor=client.get_executor())
    assert figures(remote) == figures(local)
    assert all(point.status == "optimal" for point in local.points)


def test_the_catalog_is_scattered_once_not_sent_per_task(cluster):
    """While the sweep runs, the catalog is held as a piece of data on the cluster (sent ahead of
    the tasks, not inside each), at most once per worker, whatever the number of budgets. Dask's
    active memory manager may drop the broadcast's extra replicas when few tasks still wait,
    so a worker holding none is allowed."""
    _, client = cluster
    catalog, scenario = small()
    held = []

    def catalogs_held() -> dict:
        return client.run(lambda dask_worker: sum(type(v).__name__ == "Catalog" for v in dask_worker.data.values()))
    deadline = time.monotonic() + 30       # an earlier test's catalog is released asynchronously
    while any(catalogs_held().values()) and time.monotonic() < deadline:
        time.sleep(0.1)

    def progress(value, status):
        held.append(catalogs_held())
    sweep(catalog, scenario, BUDGETS, executor=client.get_executor(), progress=progress)
    assert len(held) == len(BUDGETS)
    assert all(max(counts.values()) == 1 for counts in held)


def test_a_worker_lost_mid_sweep_is_retried_or_a_clear_error(cluster):
    """Kill one Dask worker while the sweep runs: Dask retries its task elsewhere (every point
    present and equal to the local run) or the sweep fails naming the lost point; never a hole."""
    _, client = cluster
    catalog, scenario = small()
    budgets = [300 + 150 * k for k in range(10)]
    local = sweep(catalog, scenario, budgets, workers=1)
    victim = next(iter(client.run(os.getpid).values()))
    killed = []

    def progress(value, status):
        if not killed:
            killed.append(value)
            os.kill(victim, signal.SIGKILL)
    try:
        remote = sweep(catalog, scenario, budgets, executor=client.get_executor(), progress=progress)
    except WorkerFailure as error:
        assert "the worker solving it failed" in str(error)
    else:
        assert figures(remote) == figures(local)
    client.wait_for_workers(1, timeout=30)


def test_solve_all_on_dask_keeps_each_scenario_with_its_catalog(cluster):
    _, client = cluster
    first, scenario = small()
    second = make_catalog(ROWS[:5])
    jobs = [(0, scenario), (1, scenario), (0, scenario.override({"budget.max": 900}))]
    results = dict(solve_all([first, second], jobs, executor=client.get_executor()))
    assert results[1].totals.influencers <= 5 < results[2].totals.influencers


def test_unknown_and_text_keys_are_located_errors_with_a_suggestion():
    catalog, scenario = small()
    with pytest.raises(ScenarioError, match="key budget.maxx: not a numeric key of the scenario; did you mean 'budget.max'"):
        sweep(catalog, scenario, key="budget.maxx", values=[1, 2])
    with pytest.raises(ScenarioError, match="key name: not a number"):
        sweep(catalog, scenario, key="name", values=[1, 2])


def test_a_swept_platform_key_is_case_insensitive():
    catalog, scenario = small()
    capped = scenario.override({"budget.max": 2000, "limits.platform.Instagram.max_count": 3})
    frontier = sweep(catalog, capped, key="limits.platform.INSTAGRAM.max_count", values=[1, 2], workers=1)
    assert frontier.key == "limits.platform.instagram.max_count"
    assert [point.influencers for point in frontier.points] == [1, 2]


def test_a_key_sweep_reports_the_key_and_each_value():
    catalog, scenario = small()
    frontier = sweep(catalog, scenario.override({"budget.max": 2000}), key="diversity.max_influencers",
                     values=[3, 1, 2], workers=1)
    assert [point.value for point in frontier.points] == [1, 2, 3]
    assert [point.influencers for point in frontier.points] == [1, 2, 3]
    assert all(point.budget == 2000 for point in frontier.points)
    document = frontier.to_dict()
    assert document["key"] == "diversity.max_influencers" and document["marginal_per"] == 1
    assert [point["value"] for point in document["points"]] == [1, 2, 3]
    assert list(frontier.to_frame().columns)[0] == "diversity.max_influencers"
    objectives = [point.objective for point in frontier.points]
    assert objectives == sorted(objectives)
    assert frontier.points[1].marginal == pytest.approx(objectives[1] - objectives[0])


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path):
    script = tmp_path / "plain_script.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        print("script body ran", flush=True)
        from instances import influencer, make_catalog, make_scenario
        from optimizer import sweep
        rows = [influencer(f"c{{k}}", 10_000 + 1_000 * k, 0.03, 100 + 10 * k) for k in range(12)]
        frontier = sweep(make_catalog(rows), make_scenario({{"budget": {{"max": 100}}}}), [200, 400, 600], workers=2)
        print("objectives", [round(p.objective) for p in frontier.points])
    """))
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("script body ran") == 1, run.stdout
    assert "objectives" in run.stdout


def children_of(pid: int) -> list[int]:
    """Every process whose parent chain leads to `pid`."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def _workers_started(child: subprocess.Popen, wait: float = 60.0) -> list[int]:
    """The sweep's worker processes, once it has them and has run them for a few seconds."""
    deadline = time.monotonic() + wait
    while child.poll() is None and time.monotonic() < deadline:
        workers = children_of(child.pid)
        if len(workers) >= 2:
            time.sleep(3)
            return children_of(child.pid)
        time.sleep(0.5)
    return []


@pytest.mark.parametrize("signum", [signal.SIGTERM])   # to the sweep alone: it must stop its workers itself
def test_a_sweep_stops_within_seconds_and_leaves_no_process(signum):
    """The flagship sweep takes minutes; once its workers run, one signal to the sweep's own process only."""
    child = subprocess.Popen([sys.executable, "-c", "import cli; cli.app()", "sweep", str(SAMPLE),
                              "--budgets", "10000,20000,30000,40000,50000,60000", "--method", "plain"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers = _workers_started(child)
        assert workers, "the sweep started no worker processes"
        sent = time.monotonic()
        child.send_signal(signum)
        out, err = child.communicate(timeout=60)
    finally:                            # a failed assertion must not leave the sweep running
        for pid in [child.pid, *children_of(child.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child.communicate()
    assert time.monotonic() - sent < 8, err
    assert child.returncode == 128 + signum, err
    assert "Traceback" not in err and f"interrupted by {signal.Signals(signum).name}" in err
    assert out == ""
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]


def test_the_workers_of_a_killed_script_end_with_it(tmp_path):
    """SIGKILL to a script mid-sweep (no handler can run): its workers stop their solves and end."""
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from models import Catalog, Scenario
        from optimizer import sweep
        scenario = Scenario.load({str(SAMPLE)!r})
        sweep(Catalog.load(scenario.catalog), scenario, [10000, 20000, 30000, 40000, 50000, 60000], method="plain")
    """))
    child = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    workers = _workers_started(child)
    try:
        assert workers, "the sweep started no worker processes"
        child.kill()
        child.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
            time.sleep(0.2)
        running = [pid for pid in workers if Path(f"/proc/{pid}").exists()
                   and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
        assert not running
    finally:                            # a failed assertion must not leave the workers running
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_workers_run_one_blas_thread_unless_the_caller_chose(monkeypatch):
    """Local workers get OPENBLAS_NUM_THREADS (and OMP, MKL) = 1 where the caller's environment leaves
    them unset; a caller's own setting is kept, and the caller's environment is left as it was."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    pool = local_pool(2)
    try:
        seen = list(pool.map(os.getenv, ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]))
    finally:
        pool.shutdown()
    assert seen == ["1", "3"]
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def test_a_local_pool_has_at_most_one_worker_per_core(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    pool = local_pool(500)
    try:
        assert pool._max_workers == 2 and sorted(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]
    finally:
        pool.shutdown()


def _leave_a_solver_behind(seconds: float) -> None:
    """In a worker: a thread registered as a HiGHS run left behind past its time limit, alive `seconds`."""
    thread = threading.Thread(target=time.sleep, args=(seconds,))
    thread.start()
    backend._ABANDONED.append(thread)


def test_a_worker_holding_a_solver_left_behind_does_not_hold_the_pool():
    """A HiGHS run left behind past its limit ends at its next callback (a presolve took 16 s): its
    worker leaves at once when the pool shuts down instead of waiting for it."""
    pool = local_pool(2)
    started = time.monotonic()
    pool.submit(_leave_a_solver_behind, 60).result()
    pool.shutdown(wait=True)
    assert time.monotonic() - started < 20
