"""Model building, solving, verification, diagnosis, sweeps and comparison."""

from optimizer.api import solve

__all__ = ["solve"]
