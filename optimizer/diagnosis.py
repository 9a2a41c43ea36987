"""What an infeasible scenario must relax, and by how much (docs/reference.md "Diagnosis").

Three steps, cheapest first:

1. Structural conflicts, found with numpy before any solve (conflicts.py).
2. An elastic model where every scenario constraint may move: the fewest constraints to
   relax, then the smallest relaxation (elastic.py).
3. One follow-up solve per relaxed constraint: the closest value it can take (elastic.py).

Structural conflicts come first; a relaxation of the same constraint refines one.
"""

from __future__ import annotations

import dataclasses

from models.result import DiagnosisEntry
from optimizer.conflicts import structural_conflicts
from optimizer.elastic import NEGLIGIBLE, minimal_relaxation
from optimizer.findings import Finding, num
from optimizer.milp import LOWER, UPPER
from optimizer.problem import Problem


def diagnose(problem: Problem) -> list[DiagnosisEntry]:
    """The diagnosis entries: structural conflicts first, then the minimal relaxation."""
    findings = structural_conflicts(problem)
    merged = {_key(finding): k for k, finding in enumerate(findings)}
    try:
        relaxation = minimal_relaxation(problem)
    except Exception as error:        # any fault of a solver: keep what is known, never a traceback
        relaxation = [] if findings else [Finding("scenario", None, None,
                                                  f"the diagnosis failed: {type(error).__name__}: {error}")]
    for finding in relaxation:
        k = merged.get(_key(finding))
        if k is None:
            merged[_key(finding)] = len(findings)
            findings.append(finding)
        elif _tighter(finding, findings[k]):
            known = findings[k]
            findings[k] = dataclasses.replace(
                known, achievable=finding.achievable,
                message=known.message + (f"; at most {num(finding.achievable)} with every other constraint held"
                                         if finding.side == LOWER else
                                         f"; the other constraints need at least {num(finding.achievable)}"))
    if not findings:
        findings.append(Finding("scenario", None, None,
                                "the solver found no plan, yet no constraint needs relaxing: a numerical problem; "
                                "try the other solver (--solver cbc) or rescale the numbers"))
    return [finding.entry() for finding in findings]


def _key(finding: Finding) -> tuple:
    return finding.key, finding.ident


def _tighter(new: Finding, old: Finding) -> bool:
    """Whether a relaxation's closest value says more than a structural count does."""
    if new.achievable is None or old.achievable is None or new.key == "selection.include":
        return False
    if new.side == UPPER:
        return new.achievable > old.achievable + NEGLIGIBLE
    return new.achievable < old.achievable - NEGLIGIBLE
