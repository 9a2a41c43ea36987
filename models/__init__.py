"""Validated data: catalogs, scenarios and results."""

from models.catalog import Catalog
from models.errors import CatalogError, InfluError, NoPlanError, ScenarioError, VerificationError
from models.result import Result
from models.scenario import Scenario

__all__ = [
    "Catalog",
    "CatalogError",
    "InfluError",
    "NoPlanError",
    "Result",
    "Scenario",
    "ScenarioError",
    "VerificationError",
]
