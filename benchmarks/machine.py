"""One line naming the machine a benchmark ran on: CPU, cores, memory, load, Python, HiGHS, PuLP."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version


def machine_line() -> str:
    """CPU model, usable cores, memory, the load average at the start, and the solver versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0.0
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"machine: {cpu}, {cores} cores, {memory:.0f} GB; load average {load}; Python {platform.python_version()}, "
            f"highspy {_version('highspy')}, PuLP {_version('pulp')}")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"
