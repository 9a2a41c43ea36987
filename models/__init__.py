"""Validated data: catalogs, scenarios and results."""

from models.catalog import Catalog, CatalogWarning
from models.errors import CatalogError, InfluError, NoPlanError, Problem, ScenarioError, VerificationError
from models.result import Result
from models.scenario import Scenario

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogWarning",
    "InfluError",
    "NoPlanError",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "VerificationError",
]
