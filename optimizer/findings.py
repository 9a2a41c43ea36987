"""What the diagnosis finds before it becomes a Result's DiagnosisEntry, and how numbers read in it."""

from __future__ import annotations

from dataclasses import dataclass

from models.result import DiagnosisEntry


@dataclass(frozen=True)
class Finding:
    """A diagnosis entry with what merging the steps needs: the side of the bound (milp.LOWER,
    milp.UPPER) and, for selection.include, the id."""

    key: str                   # scenario key, as in the model's Bound and the verifier's rows
    asked: float | None
    achievable: float | None
    message: str
    side: int | None = None
    ident: str | None = None

    def entry(self) -> DiagnosisEntry:
        return DiagnosisEntry(self.key, None if self.asked is None else float(self.asked),
                              None if self.achievable is None else float(self.achievable), self.message)


def num(value: float | None) -> str:
    """A number as a planner reads it: 143,500; 7,850.5; 0.4 (whole from 10,000 on)."""
    if value is None:
        return "n/a"
    if abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)) or abs(value) >= 10_000:
        return f"{round(value):,}"
    if abs(value) >= 100:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"
