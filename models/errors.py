"""Typed errors. Each names the file and the key, row or column at fault."""

from __future__ import annotations

from pathlib import Path


class InfluError(Exception):
    """Base of every error a user can cause; the CLI maps each kind to an exit code.

    `problems` holds one located message per fault (several bad rows are reported at once);
    `str(error)` is the whole message, one line per problem.
    """

    def __init__(self, file: str | Path | None, problems: str | list[str]):
        self.file = str(file) if file is not None else None
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        prefix = f"{self.file}: " if self.file else ""
        super().__init__("\n".join(prefix + problem for problem in self.problems))


class CatalogError(InfluError):
    """The catalog cannot be read or breaks a rule of SPEC section 2."""


class ScenarioError(InfluError):
    """The scenario cannot be read, breaks a rule of SPEC section 3, or does not fit its catalog."""


class NoPlanError(InfluError):
    """The solver stopped (time limit) before it found any feasible plan."""


class VerificationError(AssertionError):
    """A plan failed the independent check: a bug in influmix, never reported as a result."""
