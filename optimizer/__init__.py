"""Model building, solving, verification, diagnosis, sweeps and comparison."""

from optimizer.solve import solve

__all__ = ["solve"]
