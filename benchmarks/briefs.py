"""Ordinary planner briefs: does every one get its proven plan in seconds?

Every saved scenario in scenarios/ on its own catalog, then a dozen plain briefs a planner writes
(small budgets, roster caps, cost minimization, one coverage floor, spend shares) on generated
catalogs of each size. Each line prints the solve's seconds (catalog in memory to verified
Result; the catalog is loaded once per size), status and proven gap. The hard cases of issue 15
are benchmarks/hard.py's; these are the everyday ones.

    python benchmarks/briefs.py                         # saved scenarios, then 1,000 / 20,000 / 100,000 rows
    python benchmarks/briefs.py --sizes 1000 --no-saved
    python benchmarks/briefs.py --catalogs /tmp/catalogs  # keep generated catalogs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))          # this tree's code, whatever the working folder

from hard import Case, catalog_path  # noqa: E402
from machine import machine_line  # noqa: E402

BRIEFS = {
    "engagements, budget 2,000": {"budget": {"max": 2000}},
    "engagements, budget 10,000": {"budget": {"max": 10000}},
    "budget 10,000, 10% per creator": {"budget": {"max": 10000}, "diversity": {"max_share_per_influencer": 0.1}},
    "budget 25,000, at most 10 creators": {"budget": {"max": 25000}, "diversity": {"max_influencers": 10}},
    "budget 25,000, at most 5, 3 niches": {"budget": {"max": 25000},
                                           "diversity": {"max_influencers": 5, "min_distinct": {"niche": 3}}},
    "budget 5,000, at least 10 creators": {"budget": {"max": 5000}, "diversity": {"min_influencers": 10}},
    "reach, budget 10,000": {"objective": {"maximize": "reach"}, "budget": {"max": 10000}},
    "targeted reach, one floor": {"objective": {"maximize": "targeted_reach"}, "budget": {"max": 10000},
                                  "coverage": {"f18_24_na": {"min_reach": 10000}}},
    "budget 10,000, micro 40%, TikTok 30%": {"budget": {"max": 10000}, "limits": {
        "tier": {"micro": {"min_share": 0.4}}, "platform": {"tiktok": {"max_share": 0.3}}}},
    "cheapest 200,000 engagements": {"objective": {"minimize": "cost"}, "targets": {"engagements": 200000}},
    "cheapest 50,000, at most 8 creators": {"objective": {"minimize": "cost"}, "targets": {"engagements": 50000},
                                            "diversity": {"max_influencers": 8}},
    "cheapest two coverage floors": {"objective": {"minimize": "cost"}, "coverage": {
        "f18_24_na": {"min_reach": 200000}, "m18_24_eu": {"min_reach": 100000}}},
}
QUIET = {"simulation": {"runs": 0}}    # the solve alone: the outcome simulation is benchmarks/simulation.py's


def line(name: str, seconds: float, result) -> str:
    return (f"{name:>50} {result.catalog.eligible:>8} {result.status:>10} {seconds:>8.2f} "
            f"{result.objective.gap if result.objective.gap is not None else float('nan'):>9.1e}")


def saved(time_limit: float) -> None:
    """Every saved scenario on its own catalog."""
    from models import Catalog, NoPlanError, Scenario
    from optimizer import solve

    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        scenario = Scenario.load(path).override({"solver.time_limit": time_limit})
        catalog = Catalog.load(scenario.catalog)
        started = time.perf_counter()
        try:
            result = solve(catalog, scenario)
        except NoPlanError as error:                   # the infeasible example says so
            print(f"{path.name:>44} {type(error).__name__}: {str(error).splitlines()[0][:60]}", flush=True)
            continue
        print(line(path.name, time.perf_counter() - started, result), flush=True)


def generated(rows: int, folder: Path, time_limit: float) -> None:
    """The plain briefs on a generated catalog of `rows`."""
    from models import Catalog, Scenario
    from optimizer import solve

    catalog = Catalog.load(catalog_path(Case(rows=rows), folder))
    for name, brief in BRIEFS.items():
        scenario = Scenario.from_dict({"name": name, **QUIET, "solver": {"time_limit": time_limit}, **brief})
        started = time.perf_counter()
        result = solve(catalog, scenario)
        print(line(f"{rows:,} rows: {name}", time.perf_counter() - started, result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,20000,100000", help="generated catalog rows, comma-separated")
    parser.add_argument("--no-saved", action="store_true", help="skip the saved scenarios")
    parser.add_argument("--time-limit", type=float, default=120, help="time limit of each solve, seconds")
    parser.add_argument("--catalogs", type=Path, help="folder keeping the generated catalogs between runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")                    # catalog plausibility warnings: not what is measured
    print(machine_line(), flush=True)
    print(f"{'brief':>50} {'eligible':>8} {'status':>10} {'solve s':>8} {'gap':>9}", flush=True)
    if not args.no_saved:
        saved(args.time_limit)
    with tempfile.TemporaryDirectory() as scratch:
        for rows in (int(size) for size in args.sizes.split(",") if size):
            generated(rows, args.catalogs or Path(scratch), args.time_limit)


if __name__ == "__main__":
    main()
