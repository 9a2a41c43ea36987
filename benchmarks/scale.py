"""Fast path versus plain path on generated catalogs of growing size.

Each (size, seed, variant, method) runs in its own process so that peak memory is its own.
For each it prints catalog load, model build and solve seconds, end-to-end seconds (catalog
file to verified Result), peak memory, objective, proven bound and gap; then the plain/fast
ratio. Variants change the issue's scenario (`base`) to test the fast path's robustness.

    python benchmarks/scale.py                      # 1k, 10k, 20k, 100k
    python benchmarks/scale.py --sizes 1000,20000 --time-limit 120
    python benchmarks/scale.py --sizes 100000 --methods fast --seeds 1,2,3,4,5 --time-limit 60
    python benchmarks/scale.py --sizes 100000 --methods fast --variants all --time-limit 60
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this tree's code, whatever the working folder

from machine import machine_line  # noqa: E402

SEGMENTS = 30


def scenario_for(rows: int) -> dict:
    """The issue's setting: coverage on several segments, tier and platform shares,
    a per-influencer cap, a distinct-niche floor, integer posts; budget grows with the catalog."""
    budget = round(50_000 * max(1.0, rows / 10_000) ** 0.5, -3)
    return {
        "name": f"benchmark {rows}",
        "budget": {"max": budget},
        "coverage": {"f18_24_na": {"min_reach": 2 * budget}, "f25_34_na": {"min_reach": 2 * budget},
                     "m18_24_eu": {"min_reach": budget}},
        "diversity": {"max_share_per_influencer": 0.1, "min_distinct": {"niche": 5}},
        "limits": {"tier": {"micro": {"min_share": 0.3}, "mega": {"max_share": 0.2}},
                   "platform": {"tiktok": {"max_share": 0.4}}},
    }


def variants(budget: float) -> dict[str, dict]:
    """Changes to the base scenario, merged into it section by section."""
    return {
        "base": {},
        "reach": {"objective": {"maximize": "reach"}},
        "targeted-reach": {"objective": {"maximize": "targeted_reach"}},
        "budget-x4": {"budget": {"max": 4 * budget}},
        "budget-div4": {"budget": {"max": budget / 4}},
        "min-cost": {"objective": {"minimize": "cost"}, "targets": {"engagements": 10 * budget}},
        "max-40-influencers": {"diversity": {"max_influencers": 40}},
        "max-30-influencers": {"diversity": {"max_influencers": 30}},
        "ten-niches-us-cap": {"diversity": {"min_distinct": {"niche": 10}},
                              "limits": {"country": {"US": {"max_share": 0.3}}}},
    }


def scenario_variant(rows: int, variant: str) -> dict:
    """The base scenario for `rows` with a variant's changes."""
    settings = scenario_for(rows)
    for section, values in variants(settings["budget"]["max"])[variant].items():
        if section == "objective":
            settings[section] = copy.deepcopy(values)
        else:
            settings.setdefault(section, {}).update(copy.deepcopy(values))
    return settings


def run_one(rows: int, method: str, time_limit: float | None, folder: Path, seed: int, variant: str) -> dict:
    """Generate (cached on disk), load, solve and verify once; report the figures."""
    from models import Catalog, Scenario
    from models.synthetic import generate_catalog, write_catalog
    from optimizer import solve

    path = folder / f"catalog-{rows}-{seed}.csv"
    if not path.exists():
        write_catalog(generate_catalog(rows, seed=seed, segments=SEGMENTS), path)
    settings = scenario_variant(rows, variant)
    if time_limit:
        settings["solver"] = {"time_limit": time_limit}
    started = time.perf_counter()
    catalog = Catalog.load(path)
    loaded = time.perf_counter()
    result = solve(catalog, Scenario.from_dict(settings), method=method)
    finished = time.perf_counter()
    return {
        "rows": rows, "seed": seed, "variant": variant, "method": method, "status": result.status,
        "load": loaded - started, "build": result.solver.build_seconds, "solve": result.solver.solve_seconds,
        "total": finished - started, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "objective": result.objective.value, "bound": result.objective.bound, "gap": result.objective.gap,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,20000,100000")
    parser.add_argument("--methods", default="fast,plain")
    parser.add_argument("--time-limit", type=float, default=300, help="time limit of each solve, seconds")
    parser.add_argument("--seeds", default="2026", help="catalog generator seeds, one catalog each")
    parser.add_argument("--variants", default="base",
                        help=f"scenario variants, or all: {', '.join(variants(1.0))}")
    parser.add_argument("--catalogs", type=Path, help="folder keeping the generated catalogs between runs "
                                                       "(default: a temporary folder)")
    parser.add_argument("--one", nargs=6, metavar=("ROWS", "METHOD", "LIMIT", "FOLDER", "SEED", "VARIANT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        rows, method, limit, folder, seed, variant = args.one
        print(json.dumps(run_one(int(rows), method, float(limit) or None, Path(folder), int(seed), variant)))
        return
    names = list(variants(1.0)) if args.variants == "all" else args.variants.split(",")
    unknown = set(names) - set(variants(1.0))
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    print(machine_line(), flush=True)
    print(f"{'rows':>7} {'seed':>5} {'variant':>18} {'method':>6} {'status':>10} {'load s':>7} {'build s':>8} "
          f"{'solve s':>8} {'total s':>8} {'peak MB':>8} {'objective':>14} {'bound':>14} {'gap':>9}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.catalogs or scratch
        runs = [(int(size), int(seed), variant) for size in args.sizes.split(",") for seed in args.seeds.split(",")
                for variant in names]
        for rows, seed, variant in runs:
            totals = {}
            for method in args.methods.split(","):
                child = subprocess.run([sys.executable, __file__, "--one", str(rows), method, str(args.time_limit), folder,
                                        str(seed), variant], capture_output=True, text=True, check=True)
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                totals[method] = figures
                print(f"{rows:>7} {seed:>5} {variant:>18} {method:>6} {figures['status']:>10} {figures['load']:>7.2f} "
                      f"{figures['build']:>8.2f} {figures['solve']:>8.2f} {figures['total']:>8.2f} "
                      f"{figures['peak_mb']:>8.0f} {_figure(figures['objective'], '14.1f')} "
                      f"{_figure(figures['bound'], '14.1f')} {_figure(figures['gap'], '9.2e')}", flush=True)
            if {"fast", "plain"} <= totals.keys() and all(totals[m]["objective"] is not None for m in totals):
                fast, plain = totals["fast"], totals["plain"]
                print(f"{rows:>7} {seed:>5} {variant:>18} plain/fast time ratio {plain['total'] / fast['total']:.1f}x, "
                      f"objective difference {(fast['objective'] - plain['objective']) / abs(plain['objective']):+.2e}",
                      flush=True)


def _figure(value: float | None, spec: str) -> str:
    """A figure, or a dash where there is none (no plan, no bound)."""
    width = int(spec.split(".")[0])
    return format(value, spec) if value is not None else "-".rjust(width)


if __name__ == "__main__":
    main()
