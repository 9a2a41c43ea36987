"""influmix: the optimal influencer mix, as a library.

    import influmix
    catalog = influmix.Catalog.load("catalog.csv")
    scenario = influmix.Scenario.load("plan.toml")
    result = influmix.solve(catalog, scenario)

Safe next to a project's own `models` or `optimizer` packages: influmix's modules live under
`influmix.` (see influmix/_namespace.py).
"""

from influmix._namespace import install

install()

from influmix.models import errors  # noqa: E402 - the finder must be in place first
from influmix.models.catalog import Catalog, CatalogWarning  # noqa: E402
from influmix.models.errors import (  # noqa: E402
    CatalogError,
    InfluError,
    NoPlanError,
    Problem,
    ScenarioError,
    VerificationError,
)
from influmix.models.result import Result  # noqa: E402
from influmix.models.scenario import Scenario  # noqa: E402
from influmix.optimizer import Comparison, Explanation, Frontier, compare, explain, solve, sweep  # noqa: E402

__all__ = [
    "Catalog", "CatalogError", "CatalogWarning", "Comparison", "Explanation", "Frontier", "InfluError",
    "NoPlanError", "Problem", "Result", "Scenario", "ScenarioError", "VerificationError", "compare", "errors",
    "explain", "solve", "sweep",
]
