"""Typed errors. Each names the file and the key, row or column at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHOWN = 20  # problems in an error's message; `problems` keeps them all


def listed(items: list[str]) -> str:
    """`a, b, c`, or the first SHOWN and `and 4,980 more`: a message stays one readable line."""
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN:,} more" if len(items) > SHOWN else "")


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in a catalog: the data row (from 1, the header not counted), the row's id, the
    column, the cell as written, and what is wrong. A whole-file problem has no row."""

    message: str
    row: int | None = None
    id: str | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        """`row 7 (id 'c7'), column x: message`, or the message alone for a whole-file problem."""
        if self.row is None:
            return self.message
        label = f"row {self.row}" + (f" (id {self.id!r})" if self.id else "")
        where = f"columns {self.column}" if self.column and "*" in self.column else f"column {self.column}"
        return f"{label}, {where}: {self.message}" if self.column else f"{label}: {self.message}"


class InfluError(Exception):
    """Base of every error a user can cause; the CLI maps each kind to an exit code.

    `problems` holds every fault, one located message (or Problem) each; `str(error)` shows the
    first SHOWN of them, one line each, and counts the rest.
    """

    def __init__(self, file: str | Path | None, problems: str | Problem | list[str | Problem]):
        self.file = str(file) if file is not None else None
        self.problems = [problems] if isinstance(problems, (str, Problem)) else list(problems)
        prefix = f"{self.file}: " if self.file else ""
        lines = [prefix + str(problem) for problem in self.problems[:SHOWN]]
        if len(self.problems) > SHOWN:
            more = len(self.problems) - SHOWN
            lines.append(f"{prefix}... and {more} more problem{'s' if more > 1 else ''}")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple:
        """Rebuilt from its file and problems, so that an error raised in a worker process reaches
        the caller as itself (Exception's default pickling passes only the message)."""
        return type(self), (self.file, self.problems)


class CatalogError(InfluError):
    """The catalog cannot be read or breaks a rule of SPEC section 2; `problems` are Problems."""

    def __init__(self, file: str | Path | None, problems: str | Problem | list[str | Problem]):
        listed = [problems] if isinstance(problems, (str, Problem)) else problems
        super().__init__(file, [p if isinstance(p, Problem) else Problem(p) for p in listed])


class CatalogWarning(UserWarning):
    """Something in a catalog was read leniently (percent, duplicates, shares) or ignored."""


class ScenarioError(InfluError):
    """The scenario cannot be read, breaks a rule of SPEC section 3, or does not fit its catalog."""


class NoPlanError(InfluError):
    """The solver stopped (time limit) before it found any feasible plan."""


class VerificationError(AssertionError):
    """A plan failed the independent check: a bug in influmix, never reported as a result."""
