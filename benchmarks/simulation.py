"""What the outcome simulation costs (SPEC section 10), and where its default log-sd comes from.

1. 2,000 runs on generated plans of 300 (and 3,000) creators with 1, up to 3 and up to 10
   posts each: median seconds of `simulate` over 5 repeats.
2. The simulation's share of a solve: the example scenario and generated catalogs solved
   without the simulation, then the plan simulated with the scenario's defaults.
3. With the reference data present (../shared/data or --data, never copied): the post-to-post log-sd
   of engagements (likes + comments) per WWW'20 account with 4+ posts, and its median.

    python benchmarks/simulation.py
    python benchmarks/simulation.py --sizes 1000,20000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from models import Catalog, Scenario  # noqa: E402
from optimizer import solve  # noqa: E402
from optimizer.simulate import plan_outcomes, simulate  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RUNS = 2000


def time_plans() -> None:
    """Seconds for 2,000 runs on generated plans."""
    rng = np.random.default_rng(0)
    print(f"{'creators':>8} {'max posts':>9} {'posts':>6} {'seconds':>8}")
    for creators, most in [(300, 1), (300, 3), (300, 10), (3000, 3)]:
        posts = rng.integers(1, most + 1, creators)
        per_post, sd = rng.uniform(100, 50_000, creators), np.full(creators, 0.4)
        delivery, reach = rng.uniform(0.7, 1.0, creators), rng.uniform(1e3, 1e6, (creators, 3))
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            simulate(posts, per_post, sd, delivery, reach, runs=RUNS, seed=0)
            seconds.append(time.perf_counter() - start)
        print(f"{creators:>8} {most:>9} {posts.sum():>6} {statistics.median(seconds):>8.3f}")


def share_of_solve(cases: list[tuple[str, Catalog, Scenario]]) -> None:
    """The simulation's seconds against the solve's (build + solve) for each case."""
    print(f"\n{'case':<24} {'booked':>6} {'posts':>6} {'solve s':>8} {'simulate s':>10} {'share':>6}")
    for label, catalog, scenario in cases:
        result = solve(catalog, scenario.override({"simulation.runs": 0}))
        plan = dict(zip(result.allocation["id"], result.allocation["posts"]))
        posts = catalog.frame["id"].map(plan).fillna(0).to_numpy(np.int64)
        start = time.perf_counter()
        plan_outcomes(catalog, scenario, posts)
        simulated = time.perf_counter() - start
        solved = result.solver.build_seconds + result.solver.solve_seconds
        print(f"{label:<24} {result.totals.influencers:>6} {result.totals.posts:>6} {solved:>8.2f} "
              f"{simulated:>10.3f} {simulated / solved:>6.1%}")


def generated(rows: int) -> tuple[str, Catalog, Scenario]:
    """A generated catalog with the scale benchmark's scenario for its size."""
    from models.synthetic import generate_catalog
    from scale import scenario_for

    return f"generated {rows:,}", Catalog.from_frame(generate_catalog(rows, seed=1, segments=30)), \
        Scenario.from_dict(scenario_for(rows))


def www20_log_sd(data: Path) -> None:
    """Median over accounts with 4+ posts of the sample sd of log(likes + comments)."""
    file = data / "www20_post_sample.csv"
    if not file.exists():
        print(f"\n{file} absent: log-sd not computed")
        return
    import pandas as pd

    posts = pd.read_csv(file)
    engagements = posts["nb_likes"] + posts["nb_comments"]
    logs = np.log(engagements[engagements > 0]).groupby(posts["influencer_profile"][engagements > 0])
    sd, count = logs.std(ddof=1), logs.size()
    print(f"\nWWW'20 post sample: {len(posts):,} posts, {int((engagements <= 0).sum())} without engagements left out; "
          f"log-sd of engagements per account with 4+ posts: median {sd[count >= 4].median():.3f} "
          f"over {int((count >= 4).sum()):,} accounts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="generated catalog sizes for the share of a solve")
    parser.add_argument("--data", type=Path, default=DATA, help="the reference data folder (read only)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    time_plans()
    example = Scenario.load(ROOT / "scenarios" / "spring-launch.toml")
    share_of_solve([("spring-launch.toml", Catalog.load(example.catalog), example)] + [generated(n) for n in sizes])
    www20_log_sd(args.data)


if __name__ == "__main__":
    main()
