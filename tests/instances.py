"""Instance builders for the tests: catalogs and scenarios through the public API, hand-made
rows, and random instances whose constraint kinds are added one small function per kind."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reference import DEFAULT_TIERS, tiers_of

CUSTOM_TIERS = {"small": 0, "medium": 20_000, "large": 200_000}
SEGMENTS = ("s1", "s2")
PLATFORMS = ("instagram", "tiktok")
NICHES = ("beauty", "food", "tech")
OBJECTIVES = ("engagements", "reach", "targeted_reach", "cost")
ENUMERATION_LIMIT = 50_000


# --- catalogs and scenarios through the public API ---------------------------------------------

def make_catalog(rows):
    """A Catalog from a list of row dicts or a DataFrame (through the public API)."""
    from models.catalog import Catalog

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    return Catalog.from_frame(frame.copy())


def make_scenario(data: dict | None = None, **sections):
    """A Scenario from TOML-shaped data (no catalog key); keyword sections merge on top."""
    from models.scenario import Scenario

    spec = copy.deepcopy(data or {})
    spec.update(copy.deepcopy(sections))
    spec.pop("catalog", None)
    return Scenario.from_dict(spec)


def influencer(id_: str, followers: int, rate: float, cost: float, **extra) -> dict:
    """One catalog row with the required columns."""
    row = {"id": id_, "platform": extra.pop("platform", "instagram"), "followers": followers,
           "engagement_rate": rate, "cost_per_post": cost}
    row.update(extra)
    return row


# --- random catalogs ---------------------------------------------------------------------------

def random_frame(rng: np.random.Generator, n: int, *, max_posts_high: int = 3, zero_cost: float = 0.0,
                 tier_column: bool = False) -> pd.DataFrame:
    """n influencers over PLATFORMS, NICHES and SEGMENTS, followers 500 to 3M (log-uniform)."""
    followers = np.round(np.exp(rng.uniform(np.log(500), np.log(3_000_000), n))).astype(np.int64)
    rate = np.round(rng.uniform(0.005, 0.12, n), 4)
    cost = np.round(followers * rng.uniform(0.002, 0.03, n) + rng.uniform(10, 300, n)).astype(float)
    cost[rng.random(n) < zero_cost] = 0.0
    s1 = np.round(rng.uniform(0, 0.6, n), 3)
    s2 = np.round(rng.uniform(0, 1, n) * (1 - s1), 3)
    frame = pd.DataFrame({
        "id": [f"i{k}" for k in range(n)],
        "platform": rng.choice(PLATFORMS, n),
        "followers": followers,
        "engagement_rate": rate,
        "cost_per_post": cost,
        "niche": rng.choice(NICHES, n),
        "max_posts": rng.integers(1, max_posts_high + 1, n),
        "authenticity": np.round(rng.uniform(0.6, 1.0, n), 2),
        "country": rng.choice(["US", "GB"], n),
        "aud_s1": s1,
        "aud_s2": s2,
    })
    if tier_column:
        scheme = list(DEFAULT_TIERS)
        frame["tier"] = [rng.choice(scheme) if rng.random() < 0.3 else "" for _ in range(n)]
    return frame


def fit_enumeration(rng: np.random.Generator, frame: pd.DataFrame, limit: int = ENUMERATION_LIMIT) -> pd.DataFrame:
    """Lower random max_posts until the product of (m_i + 1) is at most `limit`."""
    frame = frame.copy()
    m = frame["max_posts"].to_numpy().copy()
    while math.prod(int(v) + 1 for v in m) > limit:
        candidates = np.flatnonzero(m > 1)
        m[rng.choice(candidates)] -= 1
    frame["max_posts"] = m
    return frame


# --- random scenarios: one function per constraint kind ----------------------------------------

KINDS = ("budget_min", "target_engagements", "target_reach", "coverage", "max_share", "min_influencers",
         "max_influencers", "limit_share", "limit_count", "distinct", "include", "exclude", "filters",
         "tiers", "segment_weights")


@dataclass(frozen=True)
class Draw:
    """What the kind functions size their values from: the frame's figures and its categories."""

    rng: np.random.Generator
    frame: pd.DataFrame
    columns: dict[str, np.ndarray]   # tier (of the scenario's scheme), platform, niche, country

    @property
    def n(self) -> int:
        return len(self.frame)

    def figure(self, name: str) -> np.ndarray:
        followers = self.frame["followers"].to_numpy(float)
        return {"followers": followers, "cost": self.frame["cost_per_post"].to_numpy(float),
                "max_posts": self.frame["max_posts"].to_numpy(float),
                "audience": followers * self.frame["authenticity"].to_numpy(float),
                "engagements": followers * self.frame["engagement_rate"].to_numpy(float)}[name]

    @property
    def full_cost(self) -> float:
        return full_cost(self.frame)

    def group(self) -> tuple[str, str]:
        """A random categorical column and one of its values."""
        column = str(self.rng.choice(["tier", "platform", "niche", "country"]))
        return column, str(self.rng.choice(sorted(set(self.columns[column]))))


def add_budget_min(draw: Draw, spec: dict) -> None:
    top = spec.get("budget", {}).get("max", draw.full_cost)
    spec.setdefault("budget", {})["min"] = round(float(draw.rng.uniform(0.2, 0.9)) * top, 2)


def add_target_engagements(draw: Draw, spec: dict) -> None:
    total = float(draw.figure("engagements") @ draw.figure("max_posts"))
    spec.setdefault("targets", {})["engagements"] = round(float(draw.rng.uniform(0.05, 0.35)) * total, 1)


def add_target_reach(draw: Draw, spec: dict) -> None:
    total = float(draw.figure("audience").sum())
    spec.setdefault("targets", {})["reach"] = round(float(draw.rng.uniform(0.05, 0.35)) * total, 1)


def add_coverage(draw: Draw, spec: dict) -> None:
    segment = str(draw.rng.choice(SEGMENTS))
    total = float(draw.figure("audience") @ draw.frame[f"aud_{segment}"].to_numpy(float))
    spec["coverage"] = {segment: {"min_reach": round(float(draw.rng.uniform(0.05, 0.35)) * total, 1)}}


def add_max_share(draw: Draw, spec: dict) -> None:
    spec.setdefault("diversity", {})["max_share_per_influencer"] = float(draw.rng.choice([0.25, 0.4, 0.5, 0.6, 0.8]))


def add_min_influencers(draw: Draw, spec: dict) -> None:
    spec.setdefault("diversity", {})["min_influencers"] = int(draw.rng.integers(1, max(2, draw.n // 2 + 1)))


def add_max_influencers(draw: Draw, spec: dict) -> None:
    diversity = spec.setdefault("diversity", {})
    diversity["max_influencers"] = int(draw.rng.integers(diversity.get("min_influencers", 1), draw.n + 1))


def add_distinct(draw: Draw, spec: dict) -> None:
    column = str(draw.rng.choice(["niche", "platform", "country"]))
    present = len(set(draw.columns[column]))
    spec.setdefault("diversity", {})["min_distinct"] = {column: int(draw.rng.integers(1, present + 1))}


def add_limit_share(draw: Draw, spec: dict) -> None:
    column, value = draw.group()
    limits = spec.setdefault("limits", {}).setdefault(column, {})
    if draw.rng.random() < 0.5:
        limits[value] = {"min_share": round(float(draw.rng.uniform(0.1, 0.6)), 2)}
    else:
        limits[value] = {"max_share": round(float(draw.rng.uniform(0.1, 0.7)), 2)}


def add_limit_count(draw: Draw, spec: dict) -> None:
    column, value = draw.group()
    entry = spec.setdefault("limits", {}).setdefault(column, {}).setdefault(value, {})
    if draw.rng.random() < 0.5:
        entry["min_count"] = int(draw.rng.integers(1, 3))
    else:
        entry["max_count"] = int(draw.rng.integers(0, 3))


def add_selection(draw: Draw, spec: dict, kinds: set[str]) -> None:
    """include and exclude draw from one permutation of the ids (drawn whether or not they are asked)."""
    picks = list(draw.rng.permutation(list(draw.frame["id"])))
    for kind in ("include", "exclude"):
        if kind in kinds:
            spec.setdefault("selection", {})[kind] = [str(picks.pop())]


def add_filters(draw: Draw, spec: dict) -> None:
    rng, followers = draw.rng, draw.figure("followers")
    which = str(rng.choice(["platforms", "niches", "countries", "min_followers", "max_followers",
                            "min_authenticity", "min_engagement_rate"]))
    present = {column: sorted(set(draw.columns[column])) for column in ("platform", "niche", "country")}
    choices = {        # values the catalog has: others are errors
        "platforms": lambda: [str(rng.choice(present["platform"]))],
        "niches": lambda: [str(v) for v in rng.choice(present["niche"], min(2, len(present["niche"])),
                                                      replace=False)],
        "countries": lambda: ["US"] if "US" in present["country"] else present["country"][:1],
        "min_followers": lambda: int(np.quantile(followers, 0.3)),
        "max_followers": lambda: int(np.quantile(followers, 0.7)),
        "min_authenticity": lambda: 0.75,
        "min_engagement_rate": lambda: float(np.quantile(draw.frame["engagement_rate"], 0.3)),
    }
    spec["filters"] = {which: choices[which]()}


# in the order they draw from the generator (the seeds' instances stay the same)
ADD = {"budget_min": add_budget_min, "target_engagements": add_target_engagements,
       "target_reach": add_target_reach, "coverage": add_coverage, "max_share": add_max_share,
       "min_influencers": add_min_influencers, "max_influencers": add_max_influencers, "distinct": add_distinct,
       "limit_share": add_limit_share, "limit_count": add_limit_count}


def random_scenario(rng: np.random.Generator, frame: pd.DataFrame, objective: str, kinds=None,
                    gap: float = 1e-9, booking: bool = False) -> dict:
    """A TOML-shaped scenario dict: the objective plus the constraint `kinds` (random when None),
    each sized relative to the catalog so that it matters; with `booking`, random booking rules
    too (`add_booking`, drawn from a copy of `rng`: the other draws stay the same)."""
    if kinds is None:
        kinds = {k for k in KINDS if rng.random() < 0.25}
    kinds = set(kinds)
    spec: dict = {"name": "random", "solver": {"gap": gap, "time_limit": 60}}
    if objective == "cost":
        spec["objective"] = {"minimize": "cost"}
        floors = {"target_engagements", "target_reach", "coverage", "min_influencers"}
        if not kinds & floors:
            kinds.add(str(rng.choice(sorted(floors))))
        if rng.random() < 0.5:
            spec["budget"] = {"max": round(float(rng.uniform(0.3, 0.9)) * full_cost(frame), 2)}
    else:
        spec["objective"] = {"maximize": objective}
        spec["budget"] = {"max": round(float(rng.uniform(0.15, 0.7)) * full_cost(frame), 2)}
    if objective == "targeted_reach" and "segment_weights" in kinds:
        spec["objective"]["segment_weights"] = {"s1": float(rng.choice([0.5, 2.0, 3.0]))}
    if "tiers" in kinds:
        spec["tiers"] = dict(CUSTOM_TIERS)
    draw = Draw(rng, frame, _categories(frame, spec.get("tiers", DEFAULT_TIERS)))
    for kind, add in ADD.items():
        if kind in kinds:
            add(draw, spec)
    add_selection(draw, spec, kinds)
    if "filters" in kinds:
        add_filters(draw, spec)
    if booking:
        add_booking(Draw(side_generator(rng), frame, draw.columns), spec)
    return spec


def side_generator(rng: np.random.Generator) -> np.random.Generator:
    """A generator seeded from a copy of `rng`: drawing from it leaves `rng`'s own sequence alone."""
    return np.random.default_rng(int(copy.deepcopy(rng).integers(2**63)))


def add_booking(draw: Draw, spec: dict) -> None:
    """Each booking rule of issue 16 item 6 with chance 0.2: an exclusion filter, posts per creator, a
    CPE ceiling, a price multiplier, a floor on the union of the segments."""
    rng = draw.rng
    if rng.random() < 0.2:
        key, column = [("exclude_niches", "niche"), ("exclude_countries", "country")][int(rng.integers(2))]
        spec.setdefault("filters", {})[key] = [str(rng.choice(sorted(set(draw.columns[column]))))]
    if rng.random() < 0.2:
        spec.setdefault("diversity", {})["max_posts_per_influencer"] = int(rng.integers(1, 3))
    if rng.random() < 0.2:
        engagements = draw.figure("engagements")
        cpe = draw.figure("cost")[engagements > 0] / engagements[engagements > 0]
        limit = round(float(np.quantile(cpe, rng.uniform(0.2, 0.8))), 6)
        if limit > 0:                   # free creators can make it 0, which no scenario may ask
            spec.setdefault("targets", {})["max_cpe"] = limit
    if rng.random() < 0.2:
        column, value = draw.group()
        spec["prices"] = {column: {value: float(rng.choice([0.5, 0.8, 1.25, 1.5]))}}
    if rng.random() < 0.2:
        total = float(draw.figure("audience") @ (draw.frame["aud_s1"] + draw.frame["aud_s2"]).to_numpy(float))
        spec.setdefault("coverage", {})["s1+s2"] = {"min_reach": round(float(rng.uniform(0.05, 0.35)) * total, 1)}


def with_fees(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """With chance 0.3 a fee column: half the rows a fee of up to half their cost_per_post."""
    if rng.random() >= 0.3:
        return frame
    frame = frame.copy()
    cost = frame["cost_per_post"].to_numpy(float)
    frame["fee"] = np.where(rng.random(len(frame)) < 0.5, np.round(rng.uniform(0, 0.5, len(frame)) * cost), 0.0)
    return frame


def full_cost(frame: pd.DataFrame) -> float:
    """What every post of every influencer costs together (1 when nothing costs anything)."""
    return float(frame["cost_per_post"].to_numpy(float) @ frame["max_posts"].to_numpy(float)) or 1.0


def _categories(frame: pd.DataFrame, scheme: dict) -> dict[str, np.ndarray]:
    tiers = tiers_of(frame["followers"].to_numpy(float), scheme)
    if "tier" in frame:
        given = frame["tier"].to_numpy(object)
        tiers = np.array([g if isinstance(g, str) and g else d for g, d in zip(given, tiers)], dtype=object)
    return {"tier": tiers, "platform": frame["platform"].str.lower().to_numpy(object),
            "niche": frame["niche"].to_numpy(object), "country": frame["country"].to_numpy(object)}
