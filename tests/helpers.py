"""Shared builders for the model tests, and a reference evaluator written from SPEC section 4.

The reference evaluator (`Reference`) works on the raw frame and the scenario dict a test
built, never on influmix's own objects: it is the second opinion that the brute-force and
property tests hold the optimizer to. It is deliberately plain numpy, one line per rule.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_TIERS = {"nano": 0, "micro": 10_000, "mid": 50_000, "macro": 500_000, "mega": 1_000_000}
CUSTOM_TIERS = {"small": 0, "medium": 20_000, "large": 200_000}
SEGMENTS = ("s1", "s2")
PLATFORMS = ("instagram", "tiktok")
NICHES = ("beauty", "food", "tech")
OBJECTIVES = ("engagements", "reach", "targeted_reach", "cost")
TOLERANCE = 1e-9          # relative feasibility tolerance of the reference check
ENUMERATION_LIMIT = 50_000


# --- building catalogs, scenarios, results ---------------------------------------------------

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


def booked(result) -> dict[str, int]:
    """id -> posts of the result's allocation."""
    frame = result.allocation
    return {str(i): int(p) for i, p in zip(frame["id"], frame["posts"])}


def constraint(result, name: str):
    """The constraint row of that name (exactly one)."""
    rows = [row for row in result.constraints if row.name == name]
    assert len(rows) == 1, f"expected one constraint {name!r}, got {[r.name for r in result.constraints]}"
    return rows[0]


def posts_vector(result, frame: pd.DataFrame) -> np.ndarray:
    """Posts per catalog row from a Result's allocation."""
    plan = booked(result)
    return np.array([plan.get(str(i), 0) for i in frame["id"]], dtype=np.int64)


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-6) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


# --- the reference evaluator (SPEC section 4, written independently) -------------------------

def _tiers_of(followers: np.ndarray, scheme: dict) -> np.ndarray:
    ordered = sorted(scheme.items(), key=lambda kv: kv[1])
    out = []
    for f in followers:
        name = ordered[0][0]           # the smallest tier has no lower bound
        for tier, low in ordered:
            if low <= f:
                name = tier
        out.append(name)
    return np.array(out, dtype=object)


@dataclass
class Reference:
    """Feasibility and objective of plans, straight from the catalog rows and the scenario dict."""

    frame: pd.DataFrame
    spec: dict

    def __post_init__(self):
        f = self.frame
        n = len(f)
        self.n = n
        self.ids = f["id"].astype(str).to_numpy(object)
        self.cost = f["cost_per_post"].to_numpy(float)
        self.followers = f["followers"].to_numpy(float)
        rate = f["engagement_rate"].to_numpy(float)
        auth = f["authenticity"].to_numpy(float) if "authenticity" in f else np.ones(n)
        auth = np.where(pd.isna(auth), 1.0, auth)
        self.authenticity = auth
        self.rate = rate
        self.eng = self.followers * rate
        self.aud = self.followers * auth
        self.max_posts = (f["max_posts"].to_numpy(np.int64) if "max_posts" in f else np.ones(n, dtype=np.int64))
        self.segments = [c[4:] for c in f.columns if c.startswith("aud_")]
        self.seg = {s: self.aud * f[f"aud_{s}"].fillna(0).to_numpy(float) for s in self.segments}
        scheme = self.spec.get("tiers", DEFAULT_TIERS)
        tiers = _tiers_of(self.followers, scheme)
        if "tier" in f:
            given = f["tier"].to_numpy(object)
            tiers = np.array([t if (isinstance(t, str) and t.strip()) else d for t, d in zip(given, tiers)],
                             dtype=object)
        self.columns = {
            "tier": tiers,
            "platform": np.array([str(p).lower() for p in f["platform"]], dtype=object),
            "niche": (f["niche"].fillna("general").to_numpy(object) if "niche" in f
                      else np.full(n, "general", dtype=object)),
            "country": f["country"].to_numpy(object) if "country" in f else np.full(n, None, dtype=object),
        }
        self.eligible = self._eligible()
        include = set(self.spec.get("selection", {}).get("include", []))
        self.included = np.array([i in include for i in self.ids])

    # eligibility: filters, plus included, minus excluded
    def _eligible(self) -> np.ndarray:
        flt = self.spec.get("filters", {})
        ok = np.ones(self.n, dtype=bool)
        if "platforms" in flt:
            ok &= np.isin(self.columns["platform"], [p.lower() for p in flt["platforms"]])
        if "niches" in flt:
            ok &= np.isin(self.columns["niche"], flt["niches"])
        if "countries" in flt:
            ok &= np.isin(self.columns["country"], flt["countries"])
        if "min_authenticity" in flt:
            ok &= self.authenticity >= flt["min_authenticity"]
        if "min_followers" in flt:
            ok &= self.followers >= flt["min_followers"]
        if "max_followers" in flt:
            ok &= self.followers <= flt["max_followers"]
        if "min_engagement_rate" in flt:
            ok &= self.rate >= flt["min_engagement_rate"]
        sel = self.spec.get("selection", {})
        ok |= np.isin(self.ids, sel.get("include", []))
        ok &= ~np.isin(self.ids, sel.get("exclude", []))
        return ok

    def objective(self, X: np.ndarray) -> np.ndarray:
        """The objective of each plan (rows of X: posts per catalog row), in the scenario's sense."""
        obj = self.spec.get("objective", {"maximize": "engagements"})
        Y = (X > 0).astype(float)
        if obj.get("minimize") == "cost":
            return X @ self.cost
        metric = obj.get("maximize", "engagements")
        if metric == "engagements":
            return X @ self.eng
        if metric == "reach":
            return Y @ self.aud
        weights = obj.get("segment_weights", {})
        return sum(weights.get(s, 1.0) * (Y @ self.seg[s]) for s in self.segments)

    @property
    def minimize(self) -> bool:
        return self.spec.get("objective", {}).get("minimize") == "cost"

    def feasible(self, X: np.ndarray) -> np.ndarray:
        """Whether each plan meets every rule of SPEC section 4 (within a 1e-9 relative tolerance)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        Y = (X > 0).astype(float)
        ok = np.ones(len(X), dtype=bool)

        def le(lhs, rhs):
            return lhs <= rhs + TOLERANCE * np.maximum(1.0, np.maximum(np.abs(lhs), np.abs(rhs)))

        ok &= np.all((X >= 0) & (X <= self.max_posts) & (X == np.round(X)), axis=1)
        ok &= ~np.any((X > 0) & ~self.eligible, axis=1)
        ok &= np.all(X[:, self.included] >= 1, axis=1)
        S = X @ self.cost
        budget = self.spec.get("budget", {})
        if "max" in budget:
            ok &= le(S, budget["max"])
        if "min" in budget:
            ok &= le(budget["min"], S)
        targets = self.spec.get("targets", {})
        if "engagements" in targets:
            ok &= le(targets["engagements"], X @ self.eng)
        if "reach" in targets:
            ok &= le(targets["reach"], Y @ self.aud)
        for segment, floor in self.spec.get("coverage", {}).items():
            ok &= le(floor["min_reach"], Y @ self.seg[segment])
        div = self.spec.get("diversity", {})
        if "max_share_per_influencer" in div:
            ok &= np.all(le(X * self.cost, div["max_share_per_influencer"] * S[:, None]), axis=1)
        count = Y.sum(axis=1)
        if "min_influencers" in div:
            ok &= count >= div["min_influencers"]
        if "max_influencers" in div:
            ok &= count <= div["max_influencers"]
        for column, groups in self.spec.get("limits", {}).items():
            values = self.columns[column]
            for value, limit in groups.items():
                member = values == (value.lower() if column == "platform" else value)
                spend = X[:, member] @ self.cost[member]
                booked_count = Y[:, member].sum(axis=1)
                if "min_share" in limit:
                    ok &= le(limit["min_share"] * S, spend)
                if "max_share" in limit:
                    ok &= le(spend, limit["max_share"] * S)
                if "min_count" in limit:
                    ok &= booked_count >= limit["min_count"]
                if "max_count" in limit:
                    ok &= booked_count <= limit["max_count"]
        for column, floor in div.get("min_distinct", {}).items():
            values = self.columns[column]
            distinct = np.array([len(set(values[row > 0])) for row in Y])
            ok &= distinct >= floor
        return ok

    def combinations(self) -> int:
        return math.prod(int(self.max_posts[i]) + 1 for i in np.flatnonzero(self.eligible))

    def enumerate(self) -> tuple[float | None, np.ndarray | None]:
        """Best objective over every post vector, with a best plan; (None, None) when none is feasible."""
        cols = np.flatnonzero(self.eligible)
        ranges = [range(int(self.max_posts[i]) + 1) for i in cols]
        grid = np.array(list(itertools.product(*ranges)), dtype=float).reshape(-1, len(cols))
        X = np.zeros((len(grid), self.n))
        X[:, cols] = grid
        ok = self.feasible(X)
        if not ok.any():
            return None, None
        values = self.objective(X[ok])
        best = int(np.argmin(values) if self.minimize else np.argmax(values))
        return float(values[best]), X[ok][best]


# --- random instances --------------------------------------------------------------------------

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


KINDS = ("budget_min", "target_engagements", "target_reach", "coverage", "max_share", "min_influencers",
         "max_influencers", "limit_share", "limit_count", "distinct", "include", "exclude", "filters",
         "tiers", "segment_weights")


def random_scenario(rng: np.random.Generator, frame: pd.DataFrame, objective: str, kinds=None,
                    gap: float = 1e-9) -> dict:
    """A TOML-shaped scenario dict: the objective plus the constraint `kinds` (random when None),
    each sized relative to the catalog so that it matters."""
    if kinds is None:
        kinds = {k for k in KINDS if rng.random() < 0.25}
    kinds = set(kinds)
    n = len(frame)
    ids = list(frame["id"])
    cost = frame["cost_per_post"].to_numpy(float)
    m = frame["max_posts"].to_numpy(float)
    followers = frame["followers"].to_numpy(float)
    aud = followers * frame["authenticity"].to_numpy(float)
    eng = followers * frame["engagement_rate"].to_numpy(float)
    full_cost = float(cost @ m) or 1.0
    spec: dict = {"name": "random", "solver": {"gap": gap, "time_limit": 60}}

    if objective == "cost":
        spec["objective"] = {"minimize": "cost"}
        floors = {"target_engagements", "target_reach", "coverage", "min_influencers"}
        if not kinds & floors:
            kinds.add(str(rng.choice(sorted(floors))))
        if rng.random() < 0.5:
            spec["budget"] = {"max": round(float(rng.uniform(0.3, 0.9)) * full_cost, 2)}
    else:
        spec["objective"] = {"maximize": objective}
        spec["budget"] = {"max": round(float(rng.uniform(0.15, 0.7)) * full_cost, 2)}
    if objective == "targeted_reach" and "segment_weights" in kinds:
        spec["objective"]["segment_weights"] = {"s1": float(rng.choice([0.5, 2.0, 3.0]))}

    if "tiers" in kinds:
        spec["tiers"] = dict(CUSTOM_TIERS)
    scheme = spec.get("tiers", DEFAULT_TIERS)
    columns = {"tier": _tiers_of(followers, scheme),
               "platform": frame["platform"].str.lower().to_numpy(object),
               "niche": frame["niche"].to_numpy(object),
               "country": frame["country"].to_numpy(object)}
    if "tier" in frame:
        given = frame["tier"].to_numpy(object)
        columns["tier"] = np.array([g if isinstance(g, str) and g else d for g, d in zip(given, columns["tier"])],
                                   dtype=object)

    if "budget_min" in kinds:
        top = spec.get("budget", {}).get("max", full_cost)
        spec.setdefault("budget", {})["min"] = round(float(rng.uniform(0.2, 0.9)) * top, 2)
    targets = {}
    if "target_engagements" in kinds:
        targets["engagements"] = round(float(rng.uniform(0.05, 0.35)) * float(eng @ m), 1)
    if "target_reach" in kinds:
        targets["reach"] = round(float(rng.uniform(0.05, 0.35)) * float(aud.sum()), 1)
    if targets:
        spec["targets"] = targets
    if "coverage" in kinds:
        segment = str(rng.choice(SEGMENTS))
        total = float(aud @ frame[f"aud_{segment}"].to_numpy(float))
        spec["coverage"] = {segment: {"min_reach": round(float(rng.uniform(0.05, 0.35)) * total, 1)}}
    diversity: dict = {}
    if "max_share" in kinds:
        diversity["max_share_per_influencer"] = float(rng.choice([0.25, 0.4, 0.5, 0.6, 0.8]))
    if "min_influencers" in kinds:
        diversity["min_influencers"] = int(rng.integers(1, max(2, n // 2 + 1)))
    if "max_influencers" in kinds:
        diversity["max_influencers"] = int(rng.integers(diversity.get("min_influencers", 1), n + 1))
    if "distinct" in kinds:
        column = str(rng.choice(["niche", "platform", "country"]))
        present = len(set(columns[column]))
        diversity["min_distinct"] = {column: int(rng.integers(1, present + 1))}
    if diversity:
        spec["diversity"] = diversity
    limits: dict = {}
    if "limit_share" in kinds:
        column = str(rng.choice(["tier", "platform", "niche", "country"]))
        value = str(rng.choice(sorted(set(columns[column]))))
        if rng.random() < 0.5:
            limits.setdefault(column, {})[value] = {"min_share": round(float(rng.uniform(0.1, 0.6)), 2)}
        else:
            limits.setdefault(column, {})[value] = {"max_share": round(float(rng.uniform(0.1, 0.7)), 2)}
    if "limit_count" in kinds:
        column = str(rng.choice(["tier", "platform", "niche", "country"]))
        value = str(rng.choice(sorted(set(columns[column]))))
        entry = limits.setdefault(column, {}).setdefault(value, {})
        if rng.random() < 0.5:
            entry["min_count"] = int(rng.integers(1, 3))
        else:
            entry["max_count"] = int(rng.integers(0, 3))
    if limits:
        spec["limits"] = limits
    selection: dict = {}
    picks = list(rng.permutation(ids))
    if "include" in kinds:
        selection["include"] = [str(picks.pop())]
    if "exclude" in kinds:
        selection["exclude"] = [str(picks.pop())]
    if selection:
        spec["selection"] = selection
    if "filters" in kinds:
        which = str(rng.choice(["platforms", "niches", "countries", "min_followers", "max_followers",
                                "min_authenticity", "min_engagement_rate"]))
        if which == "platforms":
            flt = {"platforms": [str(rng.choice(PLATFORMS))]}
        elif which == "niches":
            flt = {"niches": [str(v) for v in rng.choice(NICHES, 2, replace=False)]}
        elif which == "countries":
            flt = {"countries": ["US"]}
        elif which == "min_followers":
            flt = {"min_followers": int(np.quantile(followers, 0.3))}
        elif which == "max_followers":
            flt = {"max_followers": int(np.quantile(followers, 0.7))}
        elif which == "min_authenticity":
            flt = {"min_authenticity": 0.75}
        else:
            flt = {"min_engagement_rate": float(np.quantile(frame["engagement_rate"], 0.3))}
        spec["filters"] = flt
    return spec


def greedy_engagements(ref: Reference, budget: float) -> np.ndarray:
    """Best engagements per dollar first, each buying as many posts as still fit the budget."""
    per_dollar = np.where(ref.cost > 0, ref.eng / np.where(ref.cost > 0, ref.cost, 1.0), np.inf)
    order = sorted(np.flatnonzero(ref.eligible), key=lambda i: (-per_dollar[i], i))
    posts = np.zeros(ref.n)
    left = budget
    for i in order:
        k = int(ref.max_posts[i]) if ref.cost[i] == 0 else min(int(ref.max_posts[i]), int(left // ref.cost[i]))
        posts[i] = max(k, 0)
        left -= posts[i] * ref.cost[i]
    return posts
