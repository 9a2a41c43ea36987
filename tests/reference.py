"""The reference evaluator: feasibility and objective of plans, written from docs/reference.md
"The model" and "Constraints" (with gross floors after [robustness] dropouts and [replan]
against replan.previous) on the raw frame and the scenario dict a test built, never on
influmix's own objects. It is the second opinion that the brute-force and property tests
hold the optimizer to: plain numpy, one line per rule, sharing no code with influmix.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_TIERS = {"nano": 0, "micro": 10_000, "mid": 50_000, "macro": 500_000, "mega": 1_000_000}
TOLERANCE = 1e-9          # relative feasibility tolerance of the reference check


def tiers_of(followers: np.ndarray, scheme: dict) -> np.ndarray:
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
        most = self.spec.get("diversity", {}).get("max_posts_per_influencer")
        if most is not None:
            self.max_posts = np.minimum(self.max_posts, most)
        self.fee = f["fee"].fillna(0).to_numpy(float) if "fee" in f else np.zeros(n)
        self.segments = [c[4:] for c in f.columns if c.startswith("aud_")]
        self.seg = {s: self.aud * f[f"aud_{s}"].fillna(0).to_numpy(float) for s in self.segments}
        scheme = self.spec.get("tiers", DEFAULT_TIERS)
        tiers = tiers_of(self.followers, scheme)
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
        for column, multipliers in self.spec.get("prices", {}).items():     # what-if prices multiply
            for value, multiplier in multipliers.items():
                self.cost = self.cost * np.where(
                    self.columns[column] == (value.lower() if column == "platform" else value), multiplier, 1.0)
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
            ok &= np.isin([str(v).lower() for v in self.columns["niche"]], [v.lower() for v in flt["niches"]])
        if "countries" in flt:
            ok &= np.isin([str(v).lower() for v in self.columns["country"]], [v.lower() for v in flt["countries"]])
        if "exclude_niches" in flt:
            ok &= ~np.isin([str(v).lower() for v in self.columns["niche"]], [v.lower() for v in flt["exclude_niches"]])
        if "exclude_countries" in flt:
            ok &= ~np.isin([str(v).lower() for v in self.columns["country"]],
                           [v.lower() for v in flt["exclude_countries"]])
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
            return X @ self.cost + Y @ self.fee
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
        """Whether each plan meets every rule of docs/reference.md "The model" (within a 1e-9 relative tolerance)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        Y = (X > 0).astype(float)
        ok = np.ones(len(X), dtype=bool)

        def le(lhs, rhs):
            return lhs <= rhs + TOLERANCE * np.maximum(1.0, np.maximum(np.abs(lhs), np.abs(rhs)))

        ok &= np.all((X >= 0) & (X <= self.max_posts) & (X == np.round(X)), axis=1)
        ok &= ~np.any((X > 0) & ~self.eligible, axis=1)
        ok &= np.all(X[:, self.included] >= 1, axis=1)
        S = X @ self.cost + Y @ self.fee
        budget = self.spec.get("budget", {})
        if "max" in budget:
            ok &= le(S, budget["max"])
        if "min" in budget:
            ok &= le(budget["min"], S)
        targets = self.spec.get("targets", {})
        dropouts = self.spec.get("robustness", {}).get("dropouts", 0)

        def kept(contributions):       # a floor's sum without the `dropouts` largest contributions
            return np.sort(contributions, axis=1)[:, : max(self.n - dropouts, 0)].sum(axis=1)
        if "engagements" in targets:
            ok &= le(targets["engagements"], kept(X * self.eng))
        if "reach" in targets:
            ok &= le(targets["reach"], kept(Y * self.aud))
        if "max_cpe" in targets:
            ok &= le(S, targets["max_cpe"] * (X @ self.eng))
        for segment, floor in self.spec.get("coverage", {}).items():     # "s1+s2": the shares add up
            ok &= le(floor["min_reach"], kept(Y * sum(self.seg[part] for part in segment.split("+"))))
        replan = self.spec.get("replan", {})
        if "previous" in replan:        # a change: a creator added or dropped (an ineligible one counts as dropped)
            before = np.isin(self.ids, list(replan["previous"]))
            unknown = len(set(replan["previous"]) - set(self.ids))
            changes = (Y * ~before).sum(axis=1) + ((1 - Y) * before).sum(axis=1) + unknown
            if "max_changes" in replan:
                ok &= changes <= replan["max_changes"]
            ok &= np.all(Y[:, np.isin(self.ids, replan.get("keep", []))] > 0, axis=1)
        div = self.spec.get("diversity", {})
        if "max_share_per_influencer" in div:
            ok &= np.all(le(X * self.cost + Y * self.fee, div["max_share_per_influencer"] * S[:, None]), axis=1)
        count = Y.sum(axis=1)
        if "min_influencers" in div:
            ok &= count >= div["min_influencers"]
        if "max_influencers" in div:
            ok &= count <= div["max_influencers"]
        for column, groups in self.spec.get("limits", {}).items():
            values = self.columns[column]
            for value, limit in groups.items():
                member = values == (value.lower() if column == "platform" else value)
                spend = X[:, member] @ self.cost[member] + Y[:, member] @ self.fee[member]
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
            distinct = np.array([len(set(values[row > 0]) - {""}) for row in Y])   # an empty cell: no value
            ok &= distinct >= floor
        return ok

    def combinations(self) -> int:
        return math.prod(int(self.max_posts[i]) + 1 for i in np.flatnonzero(self.eligible))

    def enumerate(self) -> tuple[float | None, np.ndarray | None]:
        """Best objective over every post vector, with a best plan; (None, None) when none is feasible."""
        cols = np.flatnonzero(self.eligible)
        ranges = [range(int(self.max_posts[i]) + 1) for i in cols]
        vectors = list(itertools.product(*ranges))     # one empty vector when nothing is eligible
        grid = np.array(vectors, dtype=float).reshape(len(vectors), len(cols))
        X = np.zeros((len(grid), self.n))
        X[:, cols] = grid
        ok = self.feasible(X)
        if not ok.any():
            return None, None
        values = self.objective(X[ok])
        best = int(np.argmin(values) if self.minimize else np.argmax(values))
        return float(values[best]), X[ok][best]


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


# --- reading a Result for the reference --------------------------------------------------------

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
