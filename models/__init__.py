"""Validated data: catalogs, scenarios and results."""

from models.errors import CatalogError, InfluError, NoPlanError, ScenarioError, VerificationError

__all__ = ["CatalogError", "InfluError", "NoPlanError", "ScenarioError", "VerificationError"]
