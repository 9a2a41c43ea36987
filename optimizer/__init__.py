"""Model building, solving, verification, diagnosis, sweeps and comparison."""

from optimizer.api import solve
from optimizer.compare import Comparison, compare
from optimizer.sweep import Frontier, FrontierPoint, sweep

__all__ = ["Comparison", "Frontier", "FrontierPoint", "compare", "solve", "sweep"]
