"""The hard cases of issue 15, each a named case that prints its figures.

Small catalogs whose MILP HiGHS finds hard, the 100,000-row variants with a weak LP bound,
and a million creators from Parquet and from CSV. Each case runs in its own process (so
that peak memory is its own) and prints catalog load, build and solve seconds, end-to-end
seconds (catalog file to verified Result), peak memory, status, objective and proven gap.

    python benchmarks/hard.py                               # every case, fast path
    python benchmarks/hard.py --cases flagship-budget-10000,max-30-influencers-20k
    python benchmarks/hard.py --cases min-cost-100k --methods fast,plain --time-limit 300
    python benchmarks/hard.py --catalogs /tmp/catalogs      # keep generated catalogs
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))          # this tree's code, whatever the working folder

from machine import machine_line  # noqa: E402
from scale import SEGMENTS, scenario_variant  # noqa: E402

ISSUE_FLOORS = {"f18_24_na": 280_000, "f25_34_na": 225_000, "m18_24_eu": 290_000, "f25_34_eu": 215_000,
                "f35_44_eu": 100_000}


@dataclass(frozen=True)
class Case:
    """A catalog (generated rows and seed, or the sample with a scenario file) and a scenario."""

    rows: int = 0                        # 0: the scenario file's own catalog
    seed: int = 2026
    variant: str = "base"                # benchmarks/scale.py's variants
    changes: dict = field(default_factory=dict)   # dotted keys over the variant (or the file)
    scenario_file: str | None = None
    suffix: str = "csv"


CASES = {
    "flagship-budget-10000": Case(scenario_file="scenarios/spring-launch.toml", changes={"budget.max": 10000}),
    "targeted-reach-1k": Case(rows=1000, variant="targeted-reach"),
    "max-30-influencers-20k": Case(rows=20_000, variant="max-30-influencers"),
    "min-cost-100k": Case(rows=100_000, variant="min-cost"),
    "max-40-influencers-100k": Case(rows=100_000, variant="max-40-influencers"),
    "max-40-influencers-100k-seed-7": Case(rows=100_000, seed=7, variant="max-40-influencers"),
    "budget-39500-five-floors-100k": Case(rows=100_000, seed=7, changes={
        "budget.max": 39_500, **{f"coverage.{segment}.min_reach": floor for segment, floor in ISSUE_FLOORS.items()}}),
    "targeted-reach-100k": Case(rows=100_000, variant="targeted-reach"),
    "base-1m-parquet": Case(rows=1_000_000, seed=7, suffix="parquet"),
    "base-1m-csv": Case(rows=1_000_000, seed=7),
}


def catalog_path(case: Case, folder: Path) -> Path:
    """The case's catalog file, generated once into `folder`."""
    from models.synthetic import generate_catalog, write_catalog

    path = folder / f"catalog-{case.rows}-{case.seed}.{case.suffix}"
    if not path.exists():
        write_catalog(generate_catalog(case.rows, seed=case.seed, segments=SEGMENTS), path)
    return path


def scenario_of(case: Case, time_limit: float | None):
    """The case's validated Scenario."""
    from models import Scenario

    if case.scenario_file is not None:
        scenario = Scenario.load(ROOT / case.scenario_file)
    else:
        scenario = Scenario.from_dict(scenario_variant(case.rows, case.variant))
    changes = dict(case.changes)
    if time_limit:
        changes["solver.time_limit"] = time_limit
    return scenario.override(changes) if changes else scenario


def run_one(name: str, method: str, time_limit: float | None, folder: Path) -> dict:
    """Load, solve and verify one case; its figures."""
    from models import Catalog
    from optimizer import solve

    case = CASES[name]
    scenario = scenario_of(case, time_limit)
    path = catalog_path(case, folder) if case.rows else Path(scenario.catalog)
    started = time.perf_counter()
    catalog = Catalog.load(path)
    loaded = time.perf_counter()
    result = solve(catalog, scenario, method=method)
    finished = time.perf_counter()
    return {"case": name, "method": method, "status": result.status, "eligible": result.catalog.eligible,
            "load": loaded - started,
            "build": result.solver.build_seconds, "solve": result.solver.solve_seconds, "total": finished - started,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "objective": result.objective.value, "bound": result.objective.bound, "gap": result.objective.gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="all", help=f"comma-separated, or all: {', '.join(CASES)}")
    parser.add_argument("--methods", default="fast")
    parser.add_argument("--time-limit", type=float, default=300, help="time limit of each solve, seconds (0: none)")
    parser.add_argument("--catalogs", type=Path, help="folder keeping the generated catalogs between runs")
    parser.add_argument("--one", nargs=4, metavar=("CASE", "METHOD", "LIMIT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        name, method, limit, folder = args.one
        print(json.dumps(run_one(name, method, float(limit) or None, Path(folder))))
        return
    names = list(CASES) if args.cases == "all" else args.cases.split(",")
    unknown = set(names) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    print(machine_line(), flush=True)
    print(f"{'case':>32} {'method':>6} {'eligible':>8} {'status':>10} {'load s':>7} {'build s':>8} {'solve s':>8} {'total s':>8} "
          f"{'peak MB':>8} {'objective':>14} {'bound':>14} {'gap':>9}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.catalogs or Path(scratch)
        for name in names:
            for method in args.methods.split(","):
                child = subprocess.run([sys.executable, __file__, "--one", name, method, str(args.time_limit),
                                        str(folder)], capture_output=True, text=True)
                if child.returncode != 0:
                    last = (child.stderr.strip().splitlines() or ["failed"])[-1]
                    print(f"{name:>32} {method:>6} {'error':>10} {last}", flush=True)
                    continue
                f = json.loads(child.stdout.strip().splitlines()[-1])
                objective, bound = (("-" if f[k] is None else format(f[k], ".1f")) for k in ("objective", "bound"))
                gap = "-" if f["gap"] is None else format(f["gap"], ".2e")
                print(f"{name:>32} {method:>6} {f['eligible']:>8} {f['status']:>10} {f['load']:>7.2f} {f['build']:>8.2f} "
                      f"{f['solve']:>8.2f} {f['total']:>8.2f} {f['peak_mb']:>8.0f} {objective:>14} {bound:>14} {gap:>9}",
                      flush=True)


if __name__ == "__main__":
    main()
