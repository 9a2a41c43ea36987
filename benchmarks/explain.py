"""explain on the flagship: what one step looser buys and break-even prices, timed (issue 11.4).

    python benchmarks/explain.py                  # --prices 10 on scenarios/spring-launch.toml, 2 workers
    python benchmarks/explain.py --prices 3 --workers 1

Prints the wall time, the solves spent, and the explanation's table. The target is <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import Catalog, Scenario  # noqa: E402
from optimizer import explain  # noqa: E402
from reports import render  # noqa: E402

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios/spring-launch.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prices", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()
    scenario = Scenario.load(args.scenario)
    catalog = Catalog.load(scenario.catalog)
    started = time.perf_counter()
    explanation = explain(catalog, scenario, prices=args.prices, workers=args.workers,
                          progress=lambda text: print(f"{time.perf_counter() - started:6.1f} s  {text}", flush=True))
    seconds = time.perf_counter() - started
    solves = len(explanation.constraints) + sum(item.solves for item in explanation.prices)
    probes = sum(item.probes for item in explanation.prices)
    computed = sum(item.status == "computed" for item in explanation.prices)
    print(render(explanation, "table"))
    print(f"explain --prices {args.prices} on {catalog.rows:,} rows ({args.workers} workers): {seconds:.1f} s, "
          f"{solves} full re-solves and {probes} probes; {computed} of {len(explanation.prices)} prices bracketed")


if __name__ == "__main__":
    main()
