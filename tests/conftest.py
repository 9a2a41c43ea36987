"""Shared fixtures. The tests' own modules: `reference` (the independent evaluator) and
`instances` (catalogs and scenarios, hand-made and random); pytest puts this folder on the path."""

from __future__ import annotations

import pandas as pd
import pytest

from models.synthetic import generate_catalog


@pytest.fixture(scope="session")
def hard_frame() -> pd.DataFrame:
    """1,000 synthetic influencers (seed 1): hard scenarios within a time limit."""
    return generate_catalog(1000, 1)


@pytest.fixture(scope="session")
def big_frame() -> pd.DataFrame:
    """2,000 synthetic influencers (seed 3): above the fast path's direct-solve size."""
    return generate_catalog(2000, 3)
