"""Monte Carlo runs on a plan (SPEC section 10): outcome ranges and the chance of each floor.

One run: each booked creator delivers all its posts with probability `delivery_i`, else
none; each delivered post earns `E_i * exp(s_i * Z - s_i^2 / 2)` (mean `E_i`), Z standard
normal, independent across posts and creators. Reach figures count the delivering
creators: `simulate` takes each creator's reach contribution per measure (total reach,
then one column per floored segment) and a function that combines those of the creators
who deliver; gross reach is their sum. Everything is drawn in bulk with numpy from
`default_rng(seed)`: the same seed gives the same figures.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.catalog import Catalog
from models.result import FloorChance, OutcomeRange, Outcomes, Result, RiskOutcome
from models.scenario import Scenario
from optimizer.audience import people_reached, view_rates
from optimizer.verify import FEASIBILITY

PERCENTILES = (10, 50, 90)
DEFAULT_DRAW_LIMIT = 10_000_000
"""Runs x (posts + creators) above which a simulation the scenario did not ask for by setting
`runs` is skipped: about 0.2 s, e.g. 2,000 runs on 2,000 creators with 3,000 posts. Plans that
large come from catalogs whose solve takes far longer (benchmarks/simulation.py)."""

BLOCK_CELLS = 4_000_000
"""Most runs x creators drawn at once (32 MB per array)."""

Aggregate = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(delivered: runs x creators of 0/1, contributions: creators x measures) -> runs x measures."""


def gross_reach(delivered: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    """Gross reach of each run: `sum_i D_ri * r_ik`, each delivering creator's audience once."""
    return delivered @ contributions


def unique_aggregate(populations: np.ndarray) -> Aggregate:
    """Unique reach of each run with [audience]: `N_k (1 - prod_i (1 - D_ri r_ik / N_k))` per measure,
    contributions r_ik = r_ik(x_i) (docs/reference.md "Audience")."""
    def aggregate(delivered: np.ndarray, contributions: np.ndarray) -> np.ndarray:
        return populations * -np.expm1(delivered @ np.log1p(-contributions / populations))
    return aggregate


def with_last_summed(aggregate: Aggregate) -> Aggregate:
    """`aggregate` on every measure but the last, which is summed over the delivering creators."""
    def combined(delivered: np.ndarray, contributions: np.ndarray) -> np.ndarray:
        return np.hstack([aggregate(delivered, contributions[:, :-1]), delivered @ contributions[:, -1:]])
    return combined


@dataclass(frozen=True)
class Runs:
    """The sampled outcomes: engagements per run, and each reach measure per run."""

    engagements: np.ndarray   # (runs,)
    reach: np.ndarray         # (runs, measures)


def simulate(posts: np.ndarray, per_post: np.ndarray, sd: np.ndarray, delivery: np.ndarray,
             contributions: np.ndarray, *, runs: int, seed: int, aggregate: Aggregate = gross_reach) -> Runs:
    """Draw `runs` outcomes of the plan, one array entry per booked creator.

    posts x_i >= 1, engagements per post E_i, log-sd s_i, delivery probability, and the
    reach contributions (creators x measures). Runs are drawn in blocks of at most
    BLOCK_CELLS runs x creators (one block for 2,000 runs on up to 2,000 creators), so memory
    stays bounded; the blocks depend only on the plan, so the same seed gives the same runs.
    """
    rng = np.random.default_rng(seed)
    order = np.argsort(-posts, kind="stable")            # creators with more posts first: each index is a prefix
    posts, per_post, sd, delivery = posts[order], per_post[order], sd[order], delivery[order]
    contributions = contributions[order]
    block = max(1, BLOCK_CELLS // max(posts.size, 1))
    parts = [_block(rng, posts, per_post, sd, delivery, contributions, min(block, runs - start), aggregate)
             for start in range(0, runs, block)]
    return Runs(np.concatenate([part.engagements for part in parts]), np.vstack([part.reach for part in parts]))


def _block(rng: np.random.Generator, posts: np.ndarray, per_post: np.ndarray, sd: np.ndarray,
           delivery: np.ndarray, contributions: np.ndarray, runs: int, aggregate: Aggregate) -> Runs:
    """`runs` runs of creators sorted by posts, most first: post index j is drawn for the prefix of
    creators with more than j posts, runs x sum(x_i) normal draws in all."""
    delivered = rng.random((runs, posts.size)) < delivery
    factors = np.zeros((runs, posts.size))
    for index in range(int(posts.max(initial=0))):
        active = int(np.count_nonzero(posts > index))
        draws = rng.standard_normal((runs, active))
        draws *= sd[:active]
        draws -= sd[:active] ** 2 / 2
        factors[:, :active] += np.exp(draws, out=draws)
    factors *= delivered
    return Runs(factors @ per_post, aggregate(delivered.astype(np.float64), contributions))


def with_outcomes(result: Result, catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> Result:
    """The Result of a plan with its simulated outcome ranges."""
    return dataclasses.replace(result, outcomes=plan_outcomes(catalog, scenario, posts))


def plan_outcomes(catalog: Catalog, scenario: Scenario, posts: np.ndarray) -> Outcomes | None:
    """Outcome ranges of a plan (posts per catalog row); None when `[simulation] runs = 0`.

    Unless the scenario sets `runs`, a plan whose simulation would exceed DEFAULT_DRAW_LIMIT
    draws is not simulated: the Outcomes say so in `skipped`, and a warning too.
    """
    settings = scenario.simulation
    if settings.runs == 0:
        if scenario.objective.risk is not None:
            warnings.warn("[simulation] runs = 0: the risk plan's CVaR is not measured out of sample", stacklevel=2)
        return None
    booked = np.flatnonzero(posts > 0)
    draws = settings.runs * (int(posts[booked].sum()) + booked.size)
    if draws > DEFAULT_DRAW_LIMIT and "runs" not in settings.model_fields_set:
        reason = (f"{settings.runs:,} runs on {booked.size:,} creators and {int(posts[booked].sum()):,} posts "
                  f"exceed {DEFAULT_DRAW_LIMIT:,} draws; set [simulation] runs to simulate anyway")
        warnings.warn(f"outcome ranges skipped: {reason}", stacklevel=2)
        return Outcomes(runs=0, seed=settings.seed, engagements=None, reach=None, coverage={}, floors=[],
                        skipped=reason)
    segments = list(scenario.coverage)
    audiences = [catalog.audience] + [catalog.segment_audience(segment) for segment in segments]
    aggregate: Aggregate = gross_reach
    if scenario.unique:
        rates = view_rates(catalog, scenario)
        audiences = [people_reached(audience, rates, posts) for audience in audiences]
        aggregate = unique_aggregate(np.array([scenario.audience.population]
                                              + [scenario.audience.segments[segment] for segment in segments]))
    impressions_floor = scenario.unique and scenario.targets.impressions is not None
    if impressions_floor:              # impressions: the posts seen of each delivering creator, summed
        audiences.append(catalog.audience * rates * posts)
        aggregate = with_last_summed(aggregate)
    contributions = np.column_stack([audience[booked] for audience in audiences])
    runs = simulate(posts[booked].astype(np.int64), catalog.engagements_per_post[booked],
                    per_creator(catalog, "engagement_sd", settings.engagement_sd)[booked],
                    per_creator(catalog, "delivery", settings.delivery)[booked],
                    contributions, runs=settings.runs, seed=settings.seed, aggregate=aggregate)
    coverage = {segment: runs.reach[:, 1 + k] for k, segment in enumerate(segments)}
    risk = scenario.objective.risk
    metric = scenario.objective.metric
    values = runs.engagements if metric == "engagements" else runs.reach[:, 0]
    return Outcomes(
        runs=settings.runs, seed=settings.seed,
        engagements=outcome_range(runs.engagements), reach=outcome_range(runs.reach[:, 0]),
        coverage={segment: outcome_range(values) for segment, values in coverage.items()},
        floors=_floors(scenario, runs.engagements, runs.reach[:, 0], coverage,
                       runs.reach[:, -1] if impressions_floor else None),
        risk=None if risk is None else RiskOutcome(metric, risk.cvar, risk.weight, float(values.mean()),
                                                   cvar(values, risk.cvar)),
    )


def cvar(values: np.ndarray, share: float) -> float:
    """Mean of the worst `share` of the values, the boundary value weighted fractionally: the
    Rockafellar-Uryasev `max_t t - 1/(share R) sum_r max(0, t - L_r)` at its optimum."""
    ordered = np.sort(values)
    worst = share * len(ordered)
    whole = min(int(np.floor(worst + 1e-9)), len(ordered))
    total = ordered[:whole].sum() + (worst - whole) * (ordered[whole] if whole < len(ordered) else 0.0)
    return float(total / worst)


def outcome_range(values: np.ndarray) -> OutcomeRange:
    """Mean and the 10th, 50th and 90th percentiles of one figure over the runs."""
    p10, p50, p90 = np.percentile(values, PERCENTILES)
    return OutcomeRange(float(values.mean()), float(p10), float(p50), float(p90))


def per_creator(catalog: Catalog, column: str, default: float) -> np.ndarray:
    """The catalog column where it has a value, else the scenario's default."""
    if column not in catalog.frame.columns:
        return np.full(catalog.rows, default)
    values = catalog.frame[column].to_numpy(np.float64)
    return np.where(np.isnan(values), default, values)


def _floors(scenario: Scenario, engagements: np.ndarray, reach: np.ndarray,
            coverage: dict[str, np.ndarray], impressions: np.ndarray | None) -> list[FloorChance]:
    """Every floor of the scenario with the share of runs that meet it (as the plan check judges a floor)."""
    floors = [("targets.engagements", scenario.targets.engagements, engagements),
              ("targets.reach", scenario.targets.reach, reach),
              ("targets.impressions", scenario.targets.impressions, impressions)]
    floors += [(f"coverage.{segment}.min_reach", scenario.coverage[segment].min_reach, values)
               for segment, values in coverage.items()]
    return [FloorChance(name, target, float(np.mean(values >= target * (1 - FEASIBILITY))))
            for name, target, values in floors if target is not None]
