"""What unique reach and dropouts cost on the plain path (docs/reference.md "Audience", "Dropouts").

Generated catalogs (models/synthetic.py, max_posts capped at 4) solved three ways at the same
budget: gross reach; unique reach with view rates and 3 unique coverage floors; the same with
dropouts = 2; each by the fast and the plain path. Prints eligible creators, post slots, the
solve's seconds, its status and gap, and the gross plan's own unique reach next to the unique
optimum. `--issue` runs issue 9.4's case instead: 100,000 rows by the fast path, and 20,000
rows fast and plain back to back (the ratio), with the load average.

    python benchmarks/unique.py
    python benchmarks/unique.py --sizes 1000,5000 --methods fast
    python benchmarks/unique.py --issue
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

from models import Catalog, Scenario  # noqa: E402
from models.errors import NoPlanError  # noqa: E402
from models.synthetic import generate_catalog  # noqa: E402
from optimizer import solve  # noqa: E402
from optimizer.audience import people_reached, unique_reach, view_rates  # noqa: E402

SEGMENTS = {"f18_24": 0.12, "f25_34": 0.14, "m25_34": 0.14}   # share of the market in each floored segment
ISSUE_FLOOR = 0.003    # the issue case's floors: this share of each segment per 1,000 rows (binding, feasible)


def scenario(rows: int, catalog: Catalog, mode: str, floor: float | None = None) -> Scenario:
    """Budget and floors scaled with the catalog; mode gross | unique | robust; `floor`: each
    floor's share of its segment (by default 0.4% per 1,000 rows)."""
    population = float(max(30_000_000, 3 * catalog.audience.max()))
    spec = {"objective": {"maximize": "reach"}, "budget": {"max": 15.0 * rows},
            "diversity": {"max_share_per_influencer": 0.1}, "solver": {"time_limit": 600},
            "simulation": {"runs": 0}}
    floor = 0.004 * rows / 1000 if floor is None else floor
    spec["coverage"] = {s: {"min_reach": round(floor * share * population)} for s, share in SEGMENTS.items()}
    if mode != "gross":
        spec["audience"] = {"population": population,
                            "segments": {s: share * population for s, share in SEGMENTS.items()},
                            "view_rate": {"default": 0.3, "instagram": 0.3, "tiktok": 0.45, "youtube": 0.2}}
    if mode == "robust":
        spec["robustness"] = {"dropouts": 2}
    return Scenario.from_dict(spec)


def measure(catalog: Catalog, spec: Scenario, method: str) -> tuple[float, object]:
    """Seconds of one solve (the whole of `solve`, diagnosis included) and its Result."""
    started = time.perf_counter()
    result = solve(catalog, spec, method=method)
    return time.perf_counter() - started, result


def generated(rows: int) -> Catalog:
    frame = generate_catalog(rows, seed=1)
    frame["max_posts"] = np.minimum(frame["max_posts"], 4)
    return Catalog.from_frame(frame)


def table(sizes: list[int], methods: list[str]) -> None:
    """Every size, mode and method: eligible creators, post slots, seconds, status, gap, unique reach."""
    print(f"{'rows':>6} {'mode':>7} {'method':>6} {'eligible':>8} {'slots':>6} {'seconds':>8} {'status':>10} "
          f"{'gap':>8} {'unique reach':>13}")
    for rows in sizes:
        catalog = generated(rows)
        unique = scenario(rows, catalog, "unique")
        for mode in ("gross", "unique", "robust"):
            for method in methods:
                seconds, result = measure(catalog, scenario(rows, catalog, mode), method)
                posts = np.array([dict(zip(result.allocation["id"], result.allocation["posts"])).get(i, 0)
                                  for i in catalog.frame["id"]])
                people = unique_reach(unique.audience.population,
                                      people_reached(catalog.audience, view_rates(catalog, unique), posts)[posts > 0])
                print(f"{rows:>6} {mode:>7} {result.solver.method:>6} {result.catalog.eligible:>8} "
                      f"{int(catalog.frame['max_posts'].sum()):>6} {seconds:>8.2f} {result.status:>10} "
                      f"{result.objective.gap or 0:>8.2e} {people:>13,.0f}", flush=True)


def issue_case(large: int, ratio_rows: int) -> None:
    """Issue 9.4: `large` creators, [audience] with view rates, 3 unique coverage floors (binding:
    ISSUE_FLOOR of each segment per 1,000 rows), max_posts <= 4, dropouts = 2, by the fast path;
    then the same brief on `ratio_rows` by the fast and the plain path back to back, with the load."""
    def line(rows: int, method: str) -> float:
        catalog = generated(rows)
        spec = scenario(rows, catalog, "robust", ISSUE_FLOOR * rows / 1000)
        try:
            seconds, result = measure(catalog, spec, method)
        except NoPlanError:
            limit = spec.solver.time_limit
            print(f"{rows:>7} {method:>6}   no plan within the {limit:g} s limit  load {os.getloadavg()[0]:.1f}")
            return float(limit)
        print(f"{rows:>7} {result.solver.method:>6} {seconds:>8.2f} s {result.status:>10} gap "
              f"{result.objective.gap or 0:.2e}  unique reach {result.objective.value:,.0f}  "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
        return seconds
    line(large, "fast")
    fast, plain = line(ratio_rows, "fast"), line(ratio_rows, "plain")
    print(f"plain / fast on {ratio_rows:,} rows: {plain / fast:.1f}x (at least, where plain found no plan)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--methods", default="fast,plain")
    parser.add_argument("--issue", action="store_true", help="the issue 9.4 case: 100,000 by fast, 20,000 fast vs plain")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.issue:
        issue_case(100_000, 20_000)
    else:
        table([int(rows) for rows in args.sizes.split(",")], args.methods.split(","))


if __name__ == "__main__":
    main()
