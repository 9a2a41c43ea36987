"""The eligible influencers of a scenario as numpy arrays (docs/reference.md "The model")."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.catalog import Catalog
from models.catalog_rules import (booking_prices, catalog_categories, check_against_catalog, eligible_rows,
                                  placeable_share)
from models.scenario import Scenario

ROUNDING = 1e-9   # relative: a budget that affords 2.9999999999 posts of a price affords 3 (float division)


@dataclass(frozen=True)
class Problem:
    """Everything the model needs, one entry per eligible influencer, as the catalog gives it
    (the presolve of optimizer/build.py derives tighter bounds from it)."""

    scenario: Scenario
    catalog: Catalog
    positions: np.ndarray        # catalog row of each eligible influencer
    cost: np.ndarray             # c_i, per post ([prices] multipliers applied)
    engagements: np.ndarray      # E_i, per post
    audience: np.ndarray         # A_i
    max_posts: np.ndarray        # m_i: the catalog's, at most diversity.max_posts_per_influencer
    included: np.ndarray         # bool: must be booked
    categories: dict[str, np.ndarray]  # tier, platform, niche, country of each influencer
    fee: np.ndarray              # f_i, per booked influencer (0 without a fee column)

    @property
    def n(self) -> int:
        return len(self.positions)

    def segment_audience(self, segment: str) -> np.ndarray:
        """A_ik for the eligible influencers; for a union "k+l" of segments, A_ik + A_il."""
        return self.catalog.segment_audience(segment)[self.positions]

    def targeted_audience(self) -> np.ndarray:
        """sum_k w_k A_ik over every catalog segment (weight 1 unless the scenario says)."""
        weights = self.scenario.objective.segment_weights
        total = np.zeros(self.n)
        for segment in self.catalog.segments:
            total += weights.get(segment, 1.0) * self.segment_audience(segment)
        return total


def prepare(catalog: Catalog, scenario: Scenario, like: Problem | None = None) -> Problem:
    """Check the scenario against the catalog and select the eligible influencers; `like` (a
    Problem prepared before on the same catalog) lends its arrays when the scenario selects and
    prices influencers as its scenario did."""
    check_against_catalog(catalog, scenario)
    if like is not None and like.catalog is catalog and _selects_alike(like.scenario, scenario):
        return replace(like, scenario=scenario)
    frame = catalog.frame
    categories = catalog_categories(catalog, scenario)
    positions = np.flatnonzero(eligible_rows(catalog, scenario, categories))
    cost, fee = booking_prices(catalog, scenario, categories)
    return Problem(
        scenario=scenario,
        catalog=catalog,
        positions=positions,
        cost=cost[positions],
        engagements=catalog.engagements_per_post[positions],
        audience=catalog.audience[positions],
        max_posts=posts_cap(frame["max_posts"].to_numpy(np.int64)[positions], scenario),
        included=np.isin(frame["id"].to_numpy(object)[positions], list(scenario.selection.include)),
        categories={column: values[positions] for column, values in categories.items()},
        fee=fee[positions],
    )


def _selects_alike(one: Scenario, other: Scenario) -> bool:
    """Whether the Problem's arrays are the same for both: every key that `prepare` reads."""
    return (one.filters == other.filters and one.selection == other.selection and one.prices == other.prices
            and one.tier_scheme == other.tier_scheme
            and one.diversity.max_posts_per_influencer == other.diversity.max_posts_per_influencer)


def posts_cap(max_posts: np.ndarray, scenario: Scenario) -> np.ndarray:
    """m_i lowered to diversity.max_posts_per_influencer where the scenario sets it."""
    most = scenario.diversity.max_posts_per_influencer
    return max_posts if most is None else np.minimum(max_posts, most)


def affordable_posts(problem: Problem) -> np.ndarray:
    """m_i lowered to what budget.max and max_share_per_influencer allow (c_i x_i + f_i <= p * budget.max),
    to 0 for every paid post when no plan can spend anything (`placeable_share`), and at least 1
    for an included id: the presolve's posts bound."""
    scenario, cost, fee = problem.scenario, problem.cost, problem.fee
    budget = scenario.budget.max
    share = scenario.diversity.max_share_per_influencer or 1.0
    tightened = problem.max_posts
    if budget is not None:
        with np.errstate(divide="ignore"):
            left = share * budget - fee
            affordable = np.where(cost > 0, np.floor(left / np.where(cost > 0, cost, 1.0) + ROUNDING), np.inf)
        affordable = np.where(left < -ROUNDING * np.maximum(fee, 1.0), 0, np.maximum(affordable, 0))
        tightened = np.minimum(tightened, affordable).astype(np.int64)
    if placeable_share(scenario) < 1:
        tightened = np.where((cost > 0) | (fee > 0), 0, tightened)
    return np.where(problem.included, np.maximum(tightened, 1), tightened)

