"""What sweeps save by reusing work (optimizer/reuse.py), on one generated catalog.

    python benchmarks/sweep.py                       # 100,000 rows, as the issue measures it
    python benchmarks/sweep.py --rows 20000 --workers 1 --sweeps budget,floor

Prints, in one batch on the same catalog (benchmarks/scale.py's base scenario): one solve; a
10-budget sweep (half to twice the base budget); a 20-value sweep of the TikTok cap (0.2 to
0.6: binds at every value); a 20-value sweep of a coverage floor (binds only at the top of its
range). Each sweep runs before (every value solved from scratch: `reuse=False`) and after
(reuse), with its wall time, its ratio to the one solve, and the largest difference between
the two frontiers' objectives. The machine's load average is printed first and last: on a
shared machine compare the ratios, which are taken back to back.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from models import Catalog, Scenario  # noqa: E402
from models.synthetic import generate_catalog, write_catalog  # noqa: E402
from optimizer import solve, sweep  # noqa: E402
from scale import SEGMENTS, scenario_for  # noqa: E402


def sweeps(budget: float) -> dict[str, tuple[str, str, list[float]]]:
    """By name: (label, key, values) of each sweep measured."""
    return {
        "budget": ("10 budgets", "budget.max", list(np.linspace(budget / 2, 2 * budget, 10).round(-2))),
        "cap": ("20 TikTok caps", "limits.platform.tiktok.max_share", list(np.linspace(0.2, 0.6, 20).round(3))),
        "floor": ("20 coverage floors", "coverage.f18_24_na.min_reach",
                  list(np.linspace(0, 20 * budget, 20).round(-3))),
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed(run):
    started = time.perf_counter()
    value = run()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweeps", default="budget,cap,floor", help="which sweeps: budget, cap, floor")
    parser.add_argument("--catalogs", type=Path, help="folder keeping the generated catalog between runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(load(), flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        path = (args.catalogs or Path(scratch)) / f"catalog-{args.rows}-{args.seed}.csv"
        if not path.exists():
            write_catalog(generate_catalog(args.rows, seed=args.seed, segments=SEGMENTS), path)
        catalog = Catalog.load(path)
    scenario = Scenario.from_dict(scenario_for(args.rows))
    result, one = timed(lambda: solve(catalog, scenario))
    print(f"one solve, {args.rows:,} rows: {one:.1f} s ({result.status}, objective {result.objective.value:,.0f}, "
          f"gap {result.objective.gap:.1e})", flush=True)
    print(f"{'sweep':>20} {'workers':>7} {'before s':>9} {'x one':>6} {'after s':>8} {'x one':>6} "
          f"{'speed-up':>8} {'objective diff':>14} statuses", flush=True)
    chosen = sweeps(scenario.budget.max)
    for label, key, values in [chosen[name] for name in args.sweeps.split(",")]:
        before, before_s = timed(lambda: sweep(catalog, scenario, key=key, values=values, workers=args.workers,
                                               reuse=False))
        after, after_s = timed(lambda: sweep(catalog, scenario, key=key, values=values, workers=args.workers))
        diff = max(abs(a.objective - b.objective) / abs(b.objective)
                   for a, b in zip(after.points, before.points) if a.has_plan and b.has_plan)
        statuses = sorted({point.status for point in after.points + before.points})
        same = [a.status for a in after.points] == [b.status for b in before.points]
        print(f"{label:>20} {args.workers:>7} {before_s:>9.1f} {before_s / one:>6.1f} {after_s:>8.1f} "
              f"{after_s / one:>6.1f} {before_s / after_s:>7.1f}x {diff:>14.1e} {'/'.join(statuses)}"
              f"{'' if same else ' (statuses differ)'}", flush=True)
    print(load(), flush=True)


if __name__ == "__main__":
    main()
