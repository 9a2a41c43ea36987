"""The audience model in closed form (docs/reference.md "Audience"): view rates, people reached,
unique reach, impressions, and what is left after the worst dropouts.

Plain numpy on catalog arrays and posts: the model's increments, the verifier's figures and
the simulation's aggregation all come from these formulas, never from a solver.

- view rate `v_i`: catalog column view_rate, else `[audience] view_rate.<platform>`, else
  `view_rate.default`, else 1;
- people reached by x posts `r_i(x) = A_i (1 - (1 - v_i)^x)`;
- unique reach `U = N (1 - prod_i (1 - r_i / N))`, as `-N expm1(-sum_i l_i)` with the log
  terms `l_i = -ln(1 - r_i / N)`;
- impressions `I = sum_i A_i v_i x_i`.
"""

from __future__ import annotations

import numpy as np

from models.catalog import Catalog
from models.scenario import Scenario


def view_rates(catalog: Catalog, scenario: Scenario) -> np.ndarray:
    """v_i for every catalog row (1 where nothing sets it)."""
    rates = scenario.audience.view_rate if scenario.audience is not None else {}
    platforms = catalog.frame["platform"].to_numpy(object)
    default = rates.get("default", 1.0)
    by_platform = np.array([rates.get(str(p), default) for p in platforms], dtype=float)
    if "view_rate" not in catalog.frame.columns:
        return by_platform
    given = catalog.frame["view_rate"].to_numpy(float)
    return np.where(np.isnan(given), by_platform, given)


def people_reached(audience: np.ndarray, rate: np.ndarray, posts: np.ndarray) -> np.ndarray:
    """r(x) = A (1 - (1 - v)^x), elementwise (posts may be a column of slot numbers)."""
    return audience * (1.0 - np.power(1.0 - rate, posts))


def log_terms(population: float, reached: np.ndarray) -> np.ndarray:
    """l = -ln(1 - r / N): a creator's share of the log of the people missed."""
    return -np.log1p(-reached / population)


def from_log(population: float, total: float | np.ndarray) -> float | np.ndarray:
    """U = N (1 - exp(-L)) for a log sum L."""
    return population * -np.expm1(-np.asarray(total, dtype=float))


def unique_reach(population: float, reached: np.ndarray) -> float:
    """U = N (1 - prod (1 - r_i / N)): people reached at least once, audiences independent."""
    return float(from_log(population, log_terms(population, reached).sum()))


def without_largest(terms: np.ndarray, dropouts: int) -> float:
    """A sum without its `dropouts` largest terms: an additive figure, or the log sum of U, after the
    worst creators to lose."""
    if dropouts <= 0:
        return float(terms.sum())
    return float(np.sort(terms)[: max(len(terms) - dropouts, 0)].sum())


def increments(audience: np.ndarray, rate: np.ndarray, population: float, slots: int) -> np.ndarray:
    """g_ij = ln(1 - r_i(j-1)/N) - ln(1 - r_i(j)/N) for j = 1..slots, one row per creator:
    >= 0 and falling with j, so that sum_{j <= x} g_ij = l_i(x) exactly."""
    posts = np.arange(slots + 1, dtype=float)
    cumulative = log_terms(population, people_reached(audience[:, None], rate[:, None], posts[None, :]))
    return np.maximum(np.diff(cumulative, axis=1), 0.0)


def floor_keys(scenario: Scenario) -> tuple[str, ...]:
    """The outcome floors the scenario sets, by key: targets.* then coverage.<segment>."""
    targets = scenario.targets
    keys = [f"targets.{name}" for name in ("engagements", "reach", "impressions")
            if getattr(targets, name) is not None]
    return tuple(keys + [f"coverage.{segment}" for segment in scenario.coverage])


def needs_slots(scenario: Scenario) -> bool:
    """Whether the model needs post slots: a unique-reach objective or floor (with [audience] only
    for the figures, or an impressions floor, the model is the gross one)."""
    return scenario.unique and (scenario.objective.metric in ("reach", "targeted_reach")
                                or scenario.targets.reach is not None or bool(scenario.coverage))


def floor_wanted(scenario: Scenario, key: str) -> float:
    """The scenario's value of a floor named by floor_keys."""
    if key.startswith("coverage."):
        return float(scenario.coverage[key.removeprefix("coverage.")].min_reach)
    return float(getattr(scenario.targets, key.removeprefix("targets.")))


def robust_floors(scenario: Scenario) -> tuple[str, ...]:
    """The floors that must survive [robustness] dropouts (none when dropouts = 0)."""
    return floor_keys(scenario) if scenario.robustness.dropouts > 0 else ()


def epigraph_segments(scenario: Scenario) -> tuple[str, ...]:
    """Segments of a targeted_reach objective with [audience]: sum_k w_k U_k, concave in the log sums."""
    if scenario.audience is None or scenario.objective.metric != "targeted_reach":
        return ()
    return tuple(scenario.audience.segments)
