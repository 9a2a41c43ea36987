"""Where the solves of a sweep or a comparison run: any `concurrent.futures.Executor`.

- No executor and one worker: in this process, one after the other.
- No executor and several workers: a local process pool (`local_pool`, also usable as the
  executor of several calls). Its processes are
  started fresh (no fork of a process that may hold solver threads) without importing the
  caller's `__main__`, so a plain script without an `if __name__ == "__main__":` guard is not
  run again in each worker. Each worker receives the catalogs once, when it starts.
- A Dask executor (`distributed.Client(...).get_executor()`): the catalogs are scattered to
  every worker once (`client.scatter(..., broadcast=True)`) and each task names them; Dask
  retries a task whose worker was lost.
- Any other executor: each task carries its catalog.

Each worker (each thread of a worker: Dask runs tasks in threads) keeps what its last solve on a
catalog built (`optimizer.reuse`: the prepared problem, rankings, the LP and its basis) for its
next solve on the same catalog, so the jobs are submitted in order (a sweep's values sorted) and
neighbouring points land on a worker in turn.

A stop request (Ctrl-C, SIGTERM: `optimizer.control`) cancels what has not started, stops and
reaps the local workers, and raises Interrupted. A task that fails for another reason than a
user error (a worker killed, a lost connection) raises WorkerFailure naming the scenario.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import spawn
from typing import Any

from models.catalog import Catalog
from models.errors import InfluError, NoPlanError
from models.result import Result
from models.scenario import Scenario
from optimizer.api import solve
from optimizer.backend import abandoned_solver, limit_threads
from optimizer.control import (Interrupted, check_stop, last_signal, request_stop, stop_on_signals_forever,
                               stop_requested)
from optimizer.reuse import Reuse

REAP_SECONDS = 3.0
"""Local workers get this long to end their solves after a stop request, then are killed."""

Job = tuple[int, Scenario]
"""A scenario and the index of its catalog."""


class WorkerFailure(InfluError):
    """A solve failed in its worker for a reason other than the input (the worker was killed,
    the cluster lost it): the run is not complete and nothing is reported as if it were."""


def solve_all(catalogs: Sequence[Catalog], jobs: Sequence[Job], *, method: str = "fast", diagnose: bool = True,
              executor: Executor | None = None, workers: int = 2,
              reuse: bool = True) -> Iterator[tuple[int, Result | None]]:
    """(position in `jobs`, Result or None where no plan was found in time), in completion order.
    `reuse=False` solves each job from scratch (to measure what reuse saves)."""
    if executor is None and (workers <= 1 or len(jobs) < 2):
        reuses = [Reuse() for _ in catalogs]
        for position, (catalog, scenario) in enumerate(jobs):
            check_stop()
            yield position, _solve(catalogs[catalog], scenario, method, diagnose,
                                   reuses[catalog] if reuse else Reuse())
        return
    catalogs = [catalog.without_extras() for catalog in catalogs]   # kept columns are added in the caller
    with _executor(catalogs, executor, min(workers, len(jobs))) as (pool, refs):
        futures = {pool.submit(_solve_job, refs[catalog], scenario, method, diagnose, reuse): position
                   for position, (catalog, scenario) in enumerate(jobs)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    yield futures[future], _outcome(future, jobs[futures[future]][1])
                check_stop()
        finally:
            for future in pending:
                future.cancel()


def local_pool(workers: int, catalogs: dict[str, Catalog] | None = None) -> ProcessPoolExecutor:
    """A pool of fresh processes that do not run the caller's `__main__` and stop their solves on
    SIGINT or SIGTERM; `catalogs` (by key) are handed to each worker once, as it starts. At most
    one worker per core: each is busy solving, and each holds its own copy of the catalogs."""
    _hide_main_from_workers()
    cores = os.cpu_count() or 1
    workers = max(1, min(workers, cores))
    threads = max(1, cores // workers)
    return ProcessPoolExecutor(workers, mp_context=_CONTEXT, initializer=_start_worker,
                               initargs=(catalogs or {}, threads))


@contextmanager
def _executor(catalogs: Sequence[Catalog], executor: Executor | None, workers: int):
    """The executor to submit to and, per catalog, what a task names it by."""
    if executor is None:
        keys = [uuid.uuid4().hex for _ in catalogs]
        pool = local_pool(workers, dict(zip(keys, catalogs)))
        try:
            yield pool, keys
        except BaseException:
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    client = _dask_client(executor)
    if client is not None:
        yield executor, [client.scatter(catalog, broadcast=True, hash=False) for catalog in catalogs]
    else:
        yield executor, list(catalogs)


def _dask_client(executor: Executor) -> Any:
    """The Dask client behind a `Client.get_executor()`, or None for another executor."""
    if type(executor).__module__.startswith("distributed"):
        return getattr(executor, "_client", None)
    return None


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Ask each worker to stop its solve (SIGTERM: see _start_worker), wait REAP_SECONDS, kill the rest."""
    processes = list((pool._processes or {}).values())   # no public handle on a pool's processes
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, last_signal() or signal.SIGTERM)
    for process in processes:
        process.join(REAP_SECONDS / max(len(processes), 1))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


def _outcome(future: Future, scenario: Scenario) -> Result | None:
    try:
        return future.result()
    except InfluError:
        raise
    except Exception as error:
        if stop_requested():
            raise Interrupted(last_signal()) from None
        budget = f" at budget {scenario.budget.max:,.0f}" if scenario.budget.max is not None else ""
        raise WorkerFailure(scenario.path, f"scenario {scenario.name!r}{budget}: the worker solving it "
                                           f"failed ({type(error).__name__}: {error})") from None


# --- in the worker ------------------------------------------------------------------------------

_CATALOGS: dict[str, Catalog] = {}
_REUSE = threading.local()


def _start_worker(catalogs: dict[str, Catalog], threads: int) -> None:
    """A local worker: stops its solves on signals or when its parent is gone, keeps the catalogs,
    and leaves the other workers their share of the cores (`threads` per HiGHS MILP)."""
    stop_on_signals_forever()
    _CATALOGS.update(catalogs)
    limit_threads(threads)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), name="influmix-parent-watch",
                     daemon=True).start()


PARENT_WATCH_SECONDS = 0.5
"""How often a local worker checks that the process that started it still runs."""


def _end_with_parent(parent: int) -> None:
    """Stop this worker's solve and end the process once its parent is gone (killed, say, by a
    signal it could not handle: a script without influmix's handlers, or SIGKILL). Without this,
    two workers of a killed `explain` script went on solving for 50 minutes."""
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH_SECONDS)
    request_stop()
    time.sleep(REAP_SECONDS)       # the solve ends at its next check; then nothing is left to do
    os._exit(1)


def _solve_job(catalog: Catalog | str, scenario: Scenario, method: str, diagnose: bool,
               reuse: bool = True) -> Result | None:
    catalog = _CATALOGS[catalog] if isinstance(catalog, str) else catalog
    return _solve(catalog, scenario, method, diagnose, _reuse_for(catalog) if reuse else Reuse())


def _reuse_for(catalog: Catalog) -> Reuse:
    """This thread's Reuse for `catalog`: the last one when its solves were on the same catalog
    object (one kept per thread, so a long-lived worker holds at most one)."""
    if getattr(_REUSE, "catalog", None) is not catalog:
        _REUSE.catalog, _REUSE.reuse = catalog, Reuse()
    return _REUSE.reuse


def _solve(catalog: Catalog, scenario: Scenario, method: str, diagnose: bool,
           reuse: Reuse | None = None) -> Result | None:
    """One scenario, from what `reuse` holds of the last one (none: from scratch); None when no
    plan was found within the time limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the caller reports the scenario's warnings once
        try:
            return solve(catalog, scenario, method=method, diagnose=diagnose, reuse=reuse)
        except NoPlanError:
            return None


# --- fresh processes that do not run the caller's __main__ --------------------------------------

_hiding = threading.local()
_original_preparation = spawn.get_preparation_data


def _preparation_without_main(name: str) -> dict:
    """What a spawned child prepares from; without the main module when _hiding is on."""
    data = _original_preparation(name)
    if getattr(_hiding, "on", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


def _hide_main_from_workers() -> None:
    """Install the wrapper once (it changes nothing for processes started by others)."""
    spawn.get_preparation_data = _preparation_without_main


ONE_BLAS_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
"""A worker's environment, where the caller's leaves these unset: numpy's BLAS in one thread. Its
default threads per process spin on the cores the other workers solve on: a 10-budget sweep at
100,000 rows in two workers took 16.4-20.8 s with them (mean 18.2), 15.3-17.8 s without (mean
16.5; three pairs, each faster without). One solve alone is no faster with them."""


class _Process(multiprocessing.context.SpawnProcess):
    """A spawned process whose child does not import the parent's `__main__` (our workers run
    only optimizer code, and a script without a main guard must not run again in them), with
    ONE_BLAS_THREAD in its environment."""

    def run(self) -> None:
        """The pool's work loop; then out at once where a HiGHS run was left behind past its time
        limit (`abandoned_solver`): its thread would hold the process, and so the pool's shutdown,
        until HiGHS noticed."""
        super().run()
        if abandoned_solver():
            os._exit(0)

    @staticmethod
    def _Popen(process_obj):
        _hiding.on = True
        added = [name for name in ONE_BLAS_THREAD if name not in os.environ]
        os.environ.update({name: ONE_BLAS_THREAD[name] for name in added})   # the child's copy, read as it starts
        try:
            return multiprocessing.context.SpawnProcess._Popen(process_obj)
        finally:
            _hiding.on = False
            for name in added:
                del os.environ[name]


class _Context(multiprocessing.context.SpawnContext):
    Process = _Process


_CONTEXT = _Context()


@contextmanager
def dask_executor(address: str, timeout: float = 10.0) -> Iterator[Executor]:
    """An Executor on the Dask scheduler at `address` (tcp://HOST:PORT), closed on exit; an
    InfluError when Dask is not installed or the scheduler cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise InfluError(None, "--scheduler needs Dask: pip install 'influmix[dask]'") from None
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        raise InfluError(None, f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()
