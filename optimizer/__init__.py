"""Model building, solving, verification, diagnosis, sweeps and comparison."""

from optimizer.api import solve
from optimizer.compare import Comparison, compare
from optimizer.explain import Explanation, explain
from optimizer.sweep import Frontier, FrontierPoint, sweep

__all__ = ["Comparison", "Explanation", "Frontier", "FrontierPoint", "compare", "explain", "solve", "sweep"]
