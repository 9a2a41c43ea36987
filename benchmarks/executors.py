"""A budget sweep on local worker processes against the same sweep on a 2-worker Dask cluster.

    python benchmarks/executors.py                       # 40 budgets on 100,000 rows (the issue's case)
    python benchmarks/executors.py --rows 5000 --points 8

Prints the wall time of each and checks that both give the same frontier.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import Catalog, Scenario  # noqa: E402
from models.synthetic import generate_catalog, write_catalog  # noqa: E402
from optimizer import sweep  # noqa: E402

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios/spring-launch.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--gap", type=float, default=1e-3, help="solver.gap of every point (the executors are "
                                                                  "measured here, not the hard budgets)")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.parquet"
        write_catalog(generate_catalog(args.rows, seed=args.seed), path)
        catalog = Catalog.load(path)
        scenario = Scenario.load(SCENARIO).override({"catalog": str(path), "solver.gap": args.gap})
        budgets = [30_000 + 70_000 * k / (args.points - 1) for k in range(args.points)]

        started = time.perf_counter()
        local = sweep(catalog, scenario, budgets, workers=2)
        local_seconds = time.perf_counter() - started

        with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            started = time.perf_counter()
            remote = sweep(catalog, scenario, budgets, executor=client.get_executor())
            dask_seconds = time.perf_counter() - started

    same = [(p.status, p.objective) for p in local.points] == [(p.status, p.objective) for p in remote.points]
    print(f"{args.points} budgets on {args.rows:,} rows: local 2 processes {local_seconds:.1f} s, "
          f"Dask 2 workers {dask_seconds:.1f} s, same frontier: {same}")


if __name__ == "__main__":
    main()
