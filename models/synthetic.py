"""Synthetic influencer catalogs, calibrated to published figures.

`generate_catalog(rows, seed, segments)` draws a catalog with the columns of SPEC section 2;
`write_catalog(frame, path)` writes it as CSV, Parquet or JSON lines, atomically and with
the same bytes for the same frame. The same `(rows, seed, segments)` always gives the same
frame (numpy `default_rng(seed)`, PCG64; a numpy release that changes a distribution's
algorithm could change the draws). `segments` changes only the `aud_*` columns: every other
column is identical for 10 and 30 segments.

Calibration (sources as listed in the project's reference-data notes, SOURCES.md):

* Followers. The bracket of each row is drawn with the share of accounts per tier in the
  Instagram Influencer Dataset of Kim et al., "Multimodal Post Attentive Profiling for
  Influencer Marketing", WWW 2020: 1k-10k 37%, 10k-50k 36%, 50k-100k 10%, 100k-500k 12%,
  500k-1M 2%, 1M+ 2% (normalised: the published rounded shares sum to 99%). That dataset has
  nothing under 1k, but "there is no agreed lower bound for the smallest tier" and SPEC
  section 2 calls an 800-follower account a candidate, so `NANO_SHARE` = 5% of rows are
  carved out, proportionally from every bracket, as accounts with 300 to 1,000 followers.
  Within a bounded bracket followers follow a truncated power law, density
  ``x ** -(1 + 0.2)`` (close to log-uniform: in WWW'20 a bracket's median sits at 35-52% of
  its log-width); above 1M a Pareto tail with index 1.1 (the maximum-likelihood index of
  WWW'20's 1M+ accounts), truncated at 600M (the largest Instagram account, Dec. 2022).
* Engagement rate. Median Instagram rate by bracket: 8% under 1k (Markerly 2016, about 2M
  accounts: like rate under 1k followers), then the WWW'20 medians 4.1%, 3.0%, 2.6%, 2.5%,
  2.5%, 2.4%. The median curve interpolates log-rate linearly in log-followers between
  anchors placed at each bracket's median follower count (extended as a power law beyond
  the first and last), so a bracket's median rate is close to its published median and the
  curve has no jump at a bracket edge (about 2% at 100M followers, near Markerly's 1.7% for
  1M-10M). Each row gets lognormal noise (sigma 0.5). TikTok is x1.5, YouTube x0.6.
  Accounts with bought followers (see authenticity) engage only through their real
  followers. Clipped to [0.001, 0.5].
* Price per post. Rate-card rule of thumb: Instagram about $100 per 10k followers, TikTok a
  quarter of Instagram, YouTube about $20 per 1k subscribers. Above 10M followers the
  price grows with the square root of followers, so that celebrity posts land at $300k to
  $1M (published range) rather than $5M. Lognormal noise sigma 0.35, and a mild premium for
  above-curve engagement (elasticity 0.2). Floor $10.
* Authenticity (share of real followers), in [0.5, 1]: about 0.97 at 1k followers, falling
  by 0.03 per decade of followers, normal noise 0.03. Some accounts have bought followers
  (6% at 1k followers, one point more per decade, 11% from 100M) and lose a further 0.1 to
  0.4. Their price still follows the follower count: the trap such audiences set for a
  planner.
* `max_posts` in 1..6: about 5.5 for 1k followers, one fewer per decade, at least 1.
* Audience shares `aud_<segment>`: one Dirichlet draw per row with a niche- and
  platform-dependent skew (beauty and fashion lean female 18-34, gaming and tech male
  13-34, parenting female 25-44, finance male 25-44; TikTok younger), times a total
  audience share in [0.85, 1]; rounded down to 4 decimals, so a row's shares sum to at
  most 1. With 30 segments each demographic is split into regions na / eu / row, leaning
  70% to the region of the row's main country.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from models.errors import CatalogError
from models.files import write_atomic

# --- segments -------------------------------------------------------------------------------

GENDERS = ("f", "m")
AGES = ("13_17", "18_24", "25_34", "35_44", "45_plus")
REGIONS = ("na", "eu", "row")
DEMOGRAPHICS = [gender + age for gender in GENDERS for age in AGES]
SEGMENTS = list(DEMOGRAPHICS)
"""Segment names for `segments=10`, in column order (`aud_<segment>`)."""
REGIONAL_SEGMENTS = [f"{demographic}_{region}" for demographic in DEMOGRAPHICS for region in REGIONS]
"""Segment names for `segments=30`, in column order."""


def segment_names(segments: int = 10) -> list[str]:
    """The segment names for 10 (gender x age) or 30 (gender x age x region) segments."""
    if isinstance(segments, bool) or segments not in (10, 30):
        raise ValueError(f"segments must be 10 or 30, not {segments!r}")
    return list(SEGMENTS) if segments == 10 else list(REGIONAL_SEGMENTS)


# --- categorical mixes ----------------------------------------------------------------------

PLATFORMS = ("instagram", "tiktok", "youtube")
PLATFORM_SHARES = (0.55, 0.30, 0.15)

NICHES = ("beauty", "fashion", "fitness", "food", "travel", "gaming", "tech", "parenting", "finance", "lifestyle")
# Share of each niche on each platform (rows: PLATFORMS, columns: NICHES); gaming and tech lean to YouTube.
NICHE_SHARES = np.array(
    [
        [0.13, 0.14, 0.11, 0.11, 0.11, 0.05, 0.06, 0.07, 0.05, 0.17],  # instagram
        [0.12, 0.11, 0.10, 0.13, 0.08, 0.10, 0.07, 0.07, 0.06, 0.16],  # tiktok
        [0.08, 0.05, 0.09, 0.09, 0.09, 0.22, 0.17, 0.05, 0.08, 0.08],  # youtube
    ]
)

COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "IN", "MX", "ID", "CA", "AU", "JP")
COUNTRY_SHARES = (0.30, 0.08, 0.06, 0.05, 0.04, 0.04, 0.10, 0.12, 0.05, 0.06, 0.04, 0.03, 0.03)
COUNTRY_REGION = {"US": "na", "CA": "na", "MX": "na", "GB": "eu", "DE": "eu", "FR": "eu", "ES": "eu", "IT": "eu"}
HOME_REGION_SHARE = 0.70

# --- followers ------------------------------------------------------------------------------

NANO_SHARE = 0.05
"""Share of rows under 1k followers (300 to 1,000), carved proportionally from the WWW'20 brackets."""
NANO_FOLLOWERS = (300, 1_000)
MAX_FOLLOWERS = 600_000_000

# (label, lower bound, upper bound, WWW'20 share of accounts, power-law exponent beta: density x^-(1+beta))
WWW20_BRACKETS = (
    ("1k-10k", 1_000, 10_000, 0.37, 0.2),
    ("10k-50k", 10_000, 50_000, 0.36, 0.2),
    ("50k-100k", 50_000, 100_000, 0.10, 0.2),
    ("100k-500k", 100_000, 500_000, 0.12, 0.2),
    ("500k-1M", 500_000, 1_000_000, 0.02, 0.2),
    ("1M+", 1_000_000, MAX_FOLLOWERS, 0.02, 1.1),
)
"""Follower brackets of Kim et al. (WWW 2020) with their published shares of accounts."""

# Sampling brackets: nano (log-uniform) first, then the WWW'20 brackets.
_BRACKETS = ((*NANO_FOLLOWERS, 0.0), *((lo, hi, beta) for _, lo, hi, _, beta in WWW20_BRACKETS))
_WWW20_SHARES = np.array([share for _, _, _, share, _ in WWW20_BRACKETS])
_BRACKET_SHARES = np.concatenate([[NANO_SHARE], (1 - NANO_SHARE) * _WWW20_SHARES / _WWW20_SHARES.sum()])


def _power_law_quantile(u: np.ndarray, lo: float, hi: float, beta: float) -> np.ndarray:
    """Inverse CDF of the density proportional to x^-(1+beta) on [lo, hi] (beta=0: log-uniform)."""
    if beta == 0:
        return lo * (hi / lo) ** u
    tail = 1 - (lo / hi) ** beta
    return lo * (1 - u * tail) ** (-1 / beta)


# --- engagement -----------------------------------------------------------------------------

# Median Instagram engagement rate per bracket: Markerly under 1k, then WWW'20.
MEDIAN_ENGAGEMENT = (0.080, 0.041, 0.030, 0.026, 0.025, 0.025, 0.024)
PLATFORM_ENGAGEMENT = {"instagram": 1.0, "tiktok": 1.5, "youtube": 0.6}
ENGAGEMENT_SIGMA = 0.5
ENGAGEMENT_RANGE = (0.001, 0.5)

_ANCHOR_LOG_FOLLOWERS = np.log(
    [float(_power_law_quantile(np.array(0.5), lo, hi, beta)) for lo, hi, beta in _BRACKETS]
)
_ANCHOR_LOG_RATE = np.log(MEDIAN_ENGAGEMENT)


def median_engagement_rate(followers: np.ndarray) -> np.ndarray:
    """The calibrated median Instagram engagement rate at a follower count (before noise)."""
    x = np.log(np.maximum(np.asarray(followers, dtype=float), 1.0))
    xs, ys = _ANCHOR_LOG_FOLLOWERS, _ANCHOR_LOG_RATE
    log_rate = np.interp(x, xs, ys)
    # Beyond the first and last anchors the end segments continue (a power law), so that a
    # bracket's median stays at its anchor instead of being pulled by a flat extension.
    low_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    high_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    log_rate = np.where(x < xs[0], ys[0] + low_slope * (x - xs[0]), log_rate)
    log_rate = np.where(x > xs[-1], ys[-1] + high_slope * (x - xs[-1]), log_rate)
    return np.exp(log_rate)


# --- price ----------------------------------------------------------------------------------

PRICE_PER_FOLLOWER = {"instagram": 100 / 10_000, "tiktok": 0.25 * 100 / 10_000, "youtube": 20 / 1_000}
CELEBRITY_FOLLOWERS = 10_000_000
"""Above this audience the price grows with the square root of followers."""
PRICE_SIGMA = 0.35
PRICE_ENGAGEMENT_ELASTICITY = 0.2
PRICE_FLOOR = 10.0

# --- audience mix ---------------------------------------------------------------------------

# A general audience by demographic (DEMOGRAPHICS order), then multipliers by niche and platform.
_BASE_MIX = np.array([0.04, 0.15, 0.16, 0.08, 0.06, 0.04, 0.15, 0.17, 0.09, 0.06])
_NICHE_SKEW = {
    "beauty": {"f13_17": 2.0, "f18_24": 3.0, "f25_34": 3.0, "f35_44": 1.5, "f45_plus": 1.5, "m": 0.3},
    "fashion": {"f13_17": 1.5, "f18_24": 2.5, "f25_34": 2.5, "f35_44": 1.5, "f45_plus": 1.5, "m": 0.5},
    "fitness": {"f18_24": 1.5, "f25_34": 1.5, "m18_24": 1.5, "m25_34": 1.5},
    "food": {"f25_34": 1.3, "f35_44": 1.3, "f45_plus": 1.3, "m25_34": 1.3, "m35_44": 1.3, "m45_plus": 1.3},
    "travel": {"f25_34": 1.4, "f35_44": 1.4, "m25_34": 1.4, "m35_44": 1.4},
    "gaming": {"m13_17": 3.0, "m18_24": 3.0, "m25_34": 2.0, "f": 0.4},
    "tech": {"m13_17": 1.5, "m18_24": 2.5, "m25_34": 2.5, "m35_44": 1.5, "f": 0.5},
    "parenting": {"f25_34": 3.0, "f35_44": 3.0, "m25_34": 1.3, "m35_44": 1.3, "f13_17": 0.2, "m13_17": 0.2},
    "finance": {"m25_34": 3.0, "m35_44": 3.0, "m45_plus": 1.5, "f": 0.6, "f13_17": 0.2, "m13_17": 0.2},
    "lifestyle": {},
}
_PLATFORM_SKEW = {
    "instagram": {},
    "tiktok": {
        "f13_17": 2.0, "m13_17": 2.0, "f18_24": 1.5, "m18_24": 1.5,
        "f35_44": 0.7, "m35_44": 0.7, "f45_plus": 0.4, "m45_plus": 0.4,
    },  # fmt: skip
    "youtube": {"m": 1.3, "f45_plus": 1.2, "m45_plus": 1.2},
}
AUDIENCE_CONCENTRATION = 20.0
"""Dirichlet concentration (sum of alphas) of a row's demographic mix; larger = closer to its niche's mean."""
AUDIENCE_TOTAL = (0.85, 1.0)


def _skew_vector(skew: dict[str, float]) -> np.ndarray:
    """Multipliers per demographic; a key is a demographic ("f18_24") or a gender ("f"); the demographic wins."""
    return np.array([skew.get(d, skew.get(d[0], 1.0)) for d in DEMOGRAPHICS])


_NICHE_MIX = np.array([_BASE_MIX * _skew_vector(_NICHE_SKEW[niche]) for niche in NICHES])
_PLATFORM_MIX = np.array([_skew_vector(_PLATFORM_SKEW[platform]) for platform in PLATFORMS])

# --- names ----------------------------------------------------------------------------------

_SYLLABLES = np.array(
    "ka li mo ra ne so ta vi lu ma ri no ze bel ja ko mi sa te yo an el is on ar ly na da ro fi "
    "le jo ki la sol mar ben tia ava leo nia rey zo kai mel dan eva tom".split()
)
_NICHE_WORDS = np.array(["glow", "style", "fit", "eats", "travels", "plays", "tech", "family", "money", "life"])
_SEPARATORS = np.array(["", "_", "."])


def _names(rng: np.random.Generator, niche_index: np.ndarray) -> np.ndarray:
    """Handles such as "kalimo_fit23" or "rizo.eats": two or three syllables, maybe a niche word and a number."""
    n = len(niche_index)
    pick = rng.integers(0, len(_SYLLABLES), size=(3, n))
    third = rng.random(n) < 0.35
    separator = _SEPARATORS[rng.integers(0, len(_SEPARATORS), size=n)]
    with_word = rng.random(n) < 0.5
    number = rng.integers(1, 100, size=n)
    with_number = rng.random(n) < 0.6
    stem = np.char.add(_SYLLABLES[pick[0]], _SYLLABLES[pick[1]])
    stem = np.char.add(stem, np.where(third, _SYLLABLES[pick[2]], ""))
    word = np.where(with_word, np.char.add(separator, _NICHE_WORDS[niche_index]), "")
    digits = np.where(with_number, number.astype(str), "")
    return np.char.add(np.char.add(stem, word), digits)


# --- generation -----------------------------------------------------------------------------


def _categorical(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """Indices drawn with the given shares (normalised)."""
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    return np.searchsorted(cumulative / cumulative[-1], rng.random(size), side="right").clip(0, len(cumulative) - 1)


def generate_catalog(rows: int, seed: int = 0, segments: int = 10) -> pd.DataFrame:
    """A synthetic catalog of `rows` influencers with the columns of SPEC section 2.

    Columns: id, name, platform, followers, engagement_rate, cost_per_post, niche, max_posts,
    authenticity, country, then `aud_<segment>` for each of `segment_names(segments)`.
    Ids are "c" plus the row number zero-padded to the width of `rows` ("c00001" .. "c10000").
    The same arguments give the same frame. Raises ValueError for a negative `rows` or for
    `segments` other than 10 or 30.
    """
    names = segment_names(segments)
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 0:
        raise ValueError(f"rows must be a non-negative integer, not {rows!r}")
    n = int(rows)
    rng = np.random.default_rng(seed)

    # Platform, then followers: bracket by published share, power law within it.
    platform_index = _categorical(rng, PLATFORM_SHARES, n)
    bracket = _categorical(rng, _BRACKET_SHARES, n)
    u = rng.random(n)
    followers = np.empty(n)
    for b, (lo, hi, beta) in enumerate(_BRACKETS):
        mask = bracket == b
        followers[mask] = _power_law_quantile(u[mask], lo, hi, beta)
    followers = np.floor(followers).astype(np.int64)

    niche_cumulative = np.cumsum(NICHE_SHARES, axis=1)
    niche_cumulative /= niche_cumulative[:, -1:]
    niche_index = (rng.random(n)[:, None] >= niche_cumulative[platform_index]).sum(axis=1).clip(0, len(NICHES) - 1)
    country_index = _categorical(rng, COUNTRY_SHARES, n)

    # Authenticity: falls with size; some accounts bought followers.
    decades = np.log10(np.maximum(followers, 1)) - 3
    base_authenticity = 0.97 - 0.03 * decades
    bought = rng.random(n) < 0.06 + 0.01 * np.clip(decades, 0, 5)
    bought_loss = np.where(bought, rng.uniform(0.1, 0.4, n), 0.0)
    authenticity = np.clip(base_authenticity + rng.normal(0, 0.03, n) - bought_loss, 0.5, 1.0)
    authenticity = np.round(authenticity, 3)

    # Engagement rate: calibrated median x platform x lognormal noise; bought followers do not engage.
    platform_engagement = np.array([PLATFORM_ENGAGEMENT[p] for p in PLATFORMS])[platform_index]
    engagement_noise = np.exp(rng.normal(0, ENGAGEMENT_SIGMA, n))
    dilution = np.where(bought, authenticity / np.clip(base_authenticity, 0.5, 1.0), 1.0).clip(max=1.0)
    engagement_rate = median_engagement_rate(followers) * platform_engagement * engagement_noise * dilution
    engagement_rate = np.round(np.clip(engagement_rate, *ENGAGEMENT_RANGE), 5)

    # Price: rate card on followers (square root above celebrity size), noise, engagement premium.
    per_follower = np.array([PRICE_PER_FOLLOWER[p] for p in PLATFORMS])[platform_index]
    priced_followers = np.where(
        followers > CELEBRITY_FOLLOWERS,
        CELEBRITY_FOLLOWERS * np.sqrt(followers / CELEBRITY_FOLLOWERS),
        followers,
    )
    price_noise = np.exp(rng.normal(0, PRICE_SIGMA, n))
    cost = per_follower * priced_followers * price_noise * engagement_noise**PRICE_ENGAGEMENT_ELASTICITY
    cost_per_post = np.round(np.maximum(cost, PRICE_FLOOR), 2)

    # Posts available: about 5.5 at 1k followers, one fewer per decade.
    mean_posts = np.clip(5.5 - decades, 1.2, 5.8)
    max_posts = (1 + rng.binomial(5, (mean_posts - 1) / 5)).astype(np.int64)

    handles = _names(rng, niche_index)

    # Audience mix: niche x platform skewed Dirichlet (regions for 30 segments), times a total share.
    total = rng.uniform(*AUDIENCE_TOTAL, n)
    mix = _NICHE_MIX[niche_index] * _PLATFORM_MIX[platform_index]
    if segments == 30:
        home = np.array([REGIONS.index(COUNTRY_REGION.get(c, "row")) for c in COUNTRIES])[country_index]
        region_mix = np.full((n, len(REGIONS)), (1 - HOME_REGION_SHARE) / (len(REGIONS) - 1))
        region_mix[np.arange(n), home] = HOME_REGION_SHARE
        mix = (mix[:, :, None] * region_mix[:, None, :]).reshape(n, len(names))
    alpha = AUDIENCE_CONCENTRATION * len(names) / len(DEMOGRAPHICS) * mix / mix.sum(axis=1, keepdims=True)
    draws = rng.standard_gamma(alpha)
    shares = draws / np.maximum(draws.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    units = np.floor(shares * total[:, None] * 10_000).astype(np.int64)  # round down to 4 decimals
    # The total is below 1, so the units sum to at most 9,999; guard against a float product
    # rounding up, so that the printed shares of a row never add up to more than 1.
    excess = np.maximum(units.sum(axis=1) - 9_999, 0)
    units[np.arange(n), units.argmax(axis=1)] -= excess
    audience = units / 10_000

    width = len(str(n))
    ids = [f"c{number:0{width}d}" for number in range(1, n + 1)]
    columns: dict[str, object] = {
        "id": pd.array(ids, dtype="str"),
        "name": pd.array(handles, dtype="str"),
        "platform": pd.array(np.array(PLATFORMS)[platform_index], dtype="str"),
        "followers": followers,
        "engagement_rate": engagement_rate,
        "cost_per_post": cost_per_post,
        "niche": pd.array(np.array(NICHES)[niche_index], dtype="str"),
        "max_posts": max_posts,
        "authenticity": authenticity,
        "country": pd.array(np.array(COUNTRIES)[country_index], dtype="str"),
    }
    for k, segment in enumerate(names):
        columns[f"aud_{segment}"] = audience[:, k]
    return pd.DataFrame(columns)


# --- writing --------------------------------------------------------------------------------

CATALOG_SUFFIXES = (".csv", ".parquet", ".jsonl")


def _cells(series: pd.Series, style: str) -> list[str]:
    """One column as text cells for `style` "csv" or "json"; missing values empty / null.

    Floats print as their shortest round-trip form (Python's repr: 0.0412, 1234567.89), so a
    value rounded to a few decimals prints exactly as rounded and the same value always
    prints the same; infinities are refused (no catalog value is infinite). Each distinct
    value is formatted once.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = [_text(value, style, series.name) for value in uniques.tolist()]
    texts.append("null" if style == "json" else "")  # code -1: missing
    return np.array(texts, dtype=object)[codes].tolist()


def _text(value: object, style: str, column: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false") if style == "json" else str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise ValueError(f"column {column!r} has an infinite value")
        return float.__repr__(float(value))
    if style == "json":
        return json.dumps(str(value), ensure_ascii=False)
    return _csv_quote(str(value))


def _csv_quote(text: str) -> str:
    if any(character in text for character in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    header = ",".join(_csv_quote(str(column)) for column in frame.columns)
    columns = [_cells(frame[column], "csv") for column in frame.columns]
    lines = [header, *map(",".join, zip(*columns))] if len(frame.columns) else [header]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _jsonl_bytes(frame: pd.DataFrame) -> bytes:
    keys = [json.dumps(str(column), ensure_ascii=False).replace("%", "%%") for column in frame.columns]
    template = "{" + ",".join(key + ":%s" for key in keys) + "}\n"
    columns = [_cells(frame[column], "json") for column in frame.columns]
    return "".join(template % row for row in zip(*columns)).encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue().to_pybytes()


_WRITERS = {".csv": _csv_bytes, ".jsonl": _jsonl_bytes, ".parquet": _parquet_bytes}


def write_catalog(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a catalog as CSV, Parquet or JSON lines, chosen by the suffix of `path`.

    The same frame gives the same bytes (with the same pandas/pyarrow versions). The file
    appears whole or not at all: the bytes go to a temporary file in the same folder, which
    then replaces `path`. Raises CatalogError (naming the file) for an unknown suffix.
    """
    write_atomic(path, catalog_bytes(frame, path))


def catalog_bytes(frame: pd.DataFrame, path: str | Path) -> bytes:
    """The bytes write_catalog writes to `path` (CatalogError for an unknown suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITERS:
        raise CatalogError(path, f"unknown catalog format {path.suffix!r}: use one of {', '.join(CATALOG_SUFFIXES)}")
    return _WRITERS[suffix](frame)
