"""The risk objective on the fast path (optimizer/fast_risk.py) against its targets (issue 10 item 2).

1. Generated catalogs of 100,000 rows (the scale benchmark's scenario, `risk = {cvar = 0.1,
   weight = 0.5, runs = 200}`, delivery 0.8 to 1 and log-sd 0.2 to 0.8 per creator), engagements
   and gross reach: seconds from catalog to verified Result, status, objective, proven bound, gap.
2. Small generated catalogs solved by the plain path and by the fast path with its screening forced
   (`direct_below=0`): both figures on the same sampled problem, and the seconds.

The machine's load average is printed before and after: timings on a shared machine are only
comparable within one run.

    python benchmarks/risk.py
    python benchmarks/risk.py --large 100000 --small 150,300 --time-limit 60
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from models import Catalog, Scenario  # noqa: E402
from models.synthetic import generate_catalog  # noqa: E402
from optimizer import solve  # noqa: E402
from optimizer.fast_risk import solve_fast_risk  # noqa: E402
from optimizer.plain import solve_plain  # noqa: E402
from optimizer.problem import prepare  # noqa: E402
from optimizer.risk import risk_value  # noqa: E402
from scale import scenario_for  # noqa: E402

RISK = {"cvar": 0.1, "weight": 0.5, "runs": 200}


def risky_catalog(rows: int, seed: int = 1) -> Catalog:
    """A generated catalog whose creators deliver with probability 0.8 to 1 and swing by a log-sd of 0.2 to 0.8."""
    frame = generate_catalog(rows, seed=seed, segments=30)
    rng = np.random.default_rng([seed, 10])
    frame["delivery"] = np.round(rng.uniform(0.8, 1.0, rows), 2)
    frame["engagement_sd"] = np.round(rng.uniform(0.2, 0.8, rows), 2)
    return Catalog.from_frame(frame)


def risky_scenario(rows: int, metric: str, time_limit: float, budget: float | None = None) -> Scenario:
    settings = scenario_for(rows)
    if budget is not None:
        settings["budget"]["max"] = budget
        settings["coverage"] = {}
    settings["objective"] = {"maximize": metric, "risk": RISK}
    settings["solver"] = {"time_limit": time_limit}
    settings["simulation"] = {"runs": 2000}
    return Scenario.from_dict(settings)


def load() -> str:
    return "load average " + ", ".join(f"{value:.1f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"


def large(rows: int, time_limit: float) -> None:
    """End-to-end solves of the 100,000-row case."""
    catalog = risky_catalog(rows)
    print(f"{'rows':>7} {'metric':<11} {'total s':>7} {'status':<10} {'objective':>12} {'bound':>12} {'gap':>8} "
          f"{'booked':>6}")
    for metric in ("engagements", "reach"):
        scenario = risky_scenario(rows, metric, time_limit)
        started = time.perf_counter()
        result = solve(catalog, scenario)
        seconds = time.perf_counter() - started
        objective = result.objective
        print(f"{rows:>7} {metric:<11} {seconds:>7.1f} {result.status:<10} {objective.value:>12,.0f} "
              f"{objective.bound:>12,.0f} {objective.gap:>8.1e} {result.totals.influencers:>6}  ({result.solver.method})")


def small(rows: int, time_limit: float) -> None:
    """The plain path and the forced fast path on one catalog: value and bound on the same sampled problem."""
    catalog = risky_catalog(rows, seed=2)
    for metric in ("engagements", "reach"):
        scenario = risky_scenario(rows, metric, time_limit, budget=20_000)
        problem = prepare(catalog, scenario)
        for method, run in (("plain", solve_plain), ("fast", lambda p: solve_fast_risk(p, direct_below=0))):
            started = time.perf_counter()
            outcome = run(problem)
            seconds = time.perf_counter() - started
            posts = np.zeros(catalog.rows, dtype=np.int64)
            posts[problem.positions] = outcome.posts
            value = risk_value(catalog, scenario, posts)
            print(f"{rows:>7} {metric:<11} {method:<6} {seconds:>7.1f} {outcome.status:<10} {value:>12,.0f} "
                  f"{outcome.bound:>12,.0f} {(outcome.bound - value) / value:>8.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", default="100000", help="rows of the large cases ('' for none)")
    parser.add_argument("--small", default="150", help="rows of the fast-versus-plain cases ('' for none)")
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(load())
    for rows in [int(size) for size in args.large.split(",") if size]:
        large(rows, args.time_limit)
    print(f"\n{'rows':>7} {'metric':<11} {'method':<6} {'seconds':>7} {'status':<10} {'value':>12} {'bound':>12} {'gap':>8}")
    for rows in [int(size) for size in args.small.split(",") if size]:
        small(rows, args.time_limit)
    print(load())


if __name__ == "__main__":
    main()
