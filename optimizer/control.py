"""Stop requests and progress reports for long solves.

Ctrl-C (SIGINT) or SIGTERM inside `stopping_on_signals()` and `solving()` sets a flag instead
of raising: every HiGHS run checks it from its callbacks (`optimizer.backend`), a CBC child is
stopped and reaped, sweep workers are stopped and reaped, and a solve returns the best plan found
so far as `time_limit` (or no plan). Outside `solving()` (reading the files, writing the result)
the signal raises Interrupted at once. A second signal ends the process at once.

A progress reporter (set by the command line, never by the library itself) receives the
incumbent, bound and gap of a MILP that runs long without a time limit, and a note as a long step
starts (the diagnosis of an infeasible scenario).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
PROGRESS_SECONDS = 5.0
"""A MILP without a time limit reports its progress this often, from this long on."""

Reporter = Callable[[float | None, float | None, float | None], None]
"""(incumbent, bound, gap), in the model's maximize form; None where not known yet."""

_stop = threading.Event()
_last_signal: list[int] = []
_reporter: list[Reporter] = []
_notes: list[Callable[[str], None]] = []
_solving: list[bool] = []


class Interrupted(Exception):
    """A stop was requested (Ctrl-C or SIGTERM) and no result can be given."""

    def __init__(self, signum: int | None = None):
        self.signum = signum
        name = signal.Signals(signum).name if signum is not None else "a stop request"
        super().__init__(f"interrupted by {name}")

    def __reduce__(self) -> tuple:
        """Rebuilt from its signal number, so that it crosses from a worker process as itself."""
        return type(self), (self.signum,)


def stop_requested() -> bool:
    return _stop.is_set()


def request_stop() -> None:
    _stop.set()


def check_stop() -> None:
    """Raise Interrupted when a stop was requested."""
    if _stop.is_set():
        raise Interrupted(last_signal())


def _on_signal(signum: int, frame) -> None:
    _last_signal[:] = [signum]
    _stop.set()


def _on_command_signal(signum: int, frame) -> None:
    """A command's handler: the stop flag, and outside the solves Interrupted at once (a long read of a
    big file, or a loop over its columns, would otherwise go on to the end and write its output)."""
    _on_signal(signum, frame)
    if not _solving:
        raise Interrupted(signum)


@contextmanager
def solving() -> Iterator[None]:
    """Within stopping_on_signals: the span in which a stop request is a flag that the solves look at."""
    _solving.append(True)
    try:
        yield
    finally:
        _solving.pop()


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM request a stop while inside (main thread only; elsewhere a no-op); outside
    `solving()` they raise Interrupted.

    A watcher thread sees each signal at once (through the wakeup fd), even while a solver holds
    the main thread in C code: the first sets the flag, a second ends the process at once (exit
    128 + signal) for a solver phase that checks no callback (HiGHS's sub-MIPs). The flag is
    cleared on entry and on exit, and the previous handlers are restored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = {signum: signal.signal(signum, _on_command_signal) for signum in STOP_SIGNALS}
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    _stop.clear()
    _last_signal.clear()
    threading.Thread(target=_watch, args=(read_end,), daemon=True, name="influmix-signals").start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(write_end)            # the watcher reads end of file and closes its end
        _stop.clear()


def _watch(read_end: int) -> None:
    """Body of the watcher thread of stopping_on_signals."""
    seen = 0
    with os.fdopen(read_end, "rb", buffering=0) as wakeups:
        while byte := wakeups.read(1):
            signum = byte[0]
            if signum not in STOP_SIGNALS:
                continue
            seen += 1
            if seen > 1:
                os.write(2, f"{Interrupted(signum)} again: stopped at once, no plan kept\n".encode())
                os._exit(128 + signum)
            _last_signal[:] = [signum]
            _stop.set()


def stop_on_signals_forever() -> None:
    """For a worker process: SIGINT and SIGTERM request a stop of its solves (no traceback)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)


def last_signal() -> int | None:
    return _last_signal[0] if _last_signal else None


def reporting_progress(reporter: Reporter) -> AbstractContextManager[None]:
    """Within: long MILPs without a time limit call `reporter` every PROGRESS_SECONDS."""
    return _registered(_reporter, reporter)


def report_progress(incumbent: float | None, bound: float | None, gap: float | None) -> None:
    if _reporter:
        _reporter[-1](incumbent, bound, gap)


def noting(note: Callable[[str], None]) -> AbstractContextManager[None]:
    """Within: a long step that starts says so through `note` (a line for the user)."""
    return _registered(_notes, note)


def note(text: str) -> None:
    if _notes:
        _notes[-1](text)


@contextmanager
def _registered(stack: list, item: Callable) -> Iterator[None]:
    """Within: `item` is the last of `stack` (the one called)."""
    stack.append(item)
    try:
        yield
    finally:
        stack.remove(item)
