"""What unique reach and dropouts cost on the plain path (docs/reference.md "Audience", "Dropouts").

Generated catalogs (models/synthetic.py, max_posts capped at 4) solved three ways at the same
budget: gross reach; unique reach with view rates and 3 unique coverage floors; the same with
dropouts = 2. Prints eligible creators, post slots, the solve's seconds, its status and gap, and
the gross plan's own unique reach next to the unique optimum.

    python benchmarks/unique.py
    python benchmarks/unique.py --sizes 1000,5000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import Catalog, Scenario  # noqa: E402
from models.synthetic import generate_catalog  # noqa: E402
from optimizer import solve  # noqa: E402
from optimizer.audience import people_reached, unique_reach, view_rates  # noqa: E402

SEGMENTS = {"f18_24": 0.12, "f25_34": 0.14, "m25_34": 0.14}   # share of the market in each floored segment


def scenario(rows: int, catalog: Catalog, mode: str) -> Scenario:
    """Budget and floors scaled with the catalog; mode gross | unique | robust."""
    population = float(max(30_000_000, 3 * catalog.audience.max()))
    spec = {"objective": {"maximize": "reach"}, "budget": {"max": 15.0 * rows},
            "diversity": {"max_share_per_influencer": 0.1}, "solver": {"time_limit": 600},
            "simulation": {"runs": 0}}
    floor = 0.004 * rows / 1000
    spec["coverage"] = {s: {"min_reach": round(floor * share * population)} for s, share in SEGMENTS.items()}
    if mode != "gross":
        spec["audience"] = {"population": population,
                            "segments": {s: share * population for s, share in SEGMENTS.items()},
                            "view_rate": {"default": 0.3, "instagram": 0.3, "tiktok": 0.45, "youtube": 0.2}}
    if mode == "robust":
        spec["robustness"] = {"dropouts": 2}
    return Scenario.from_dict(spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"{'rows':>6} {'mode':>7} {'eligible':>8} {'slots':>6} {'seconds':>8} {'status':>8} {'gap':>8} "
          f"{'unique reach':>13}")
    for rows in map(int, args.sizes.split(",")):
        frame = generate_catalog(rows, seed=1)
        frame["max_posts"] = np.minimum(frame["max_posts"], 4)
        catalog = Catalog.from_frame(frame)
        unique = scenario(rows, catalog, "unique")
        for mode in ("gross", "unique", "robust"):
            started = time.perf_counter()
            result = solve(catalog, scenario(rows, catalog, mode))
            seconds = time.perf_counter() - started
            posts = np.array([dict(zip(result.allocation["id"], result.allocation["posts"])).get(i, 0)
                              for i in catalog.frame["id"]])
            people = unique_reach(unique.audience.population,
                                  people_reached(catalog.audience, view_rates(catalog, unique), posts)[posts > 0])
            print(f"{rows:>6} {mode:>7} {result.catalog.eligible:>8} {int(catalog.frame['max_posts'].sum()):>6} "
                  f"{seconds:>8.2f} {result.status:>8} {result.objective.gap or 0:>8.2e} {people:>13,.0f}")


if __name__ == "__main__":
    main()
