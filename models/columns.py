"""A catalog's own column names: the mapping to influmix's names, and guesses for the ones ignored.

A mapping (scenario `[columns]`, command line `--map`) takes the file's name to an influmix
name, with `:percent` when the values are percentages: `"ER %" = "engagement_rate:percent"`.
File names match ignoring case and surrounding spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PERCENT = ":percent"
SEGMENT_PREFIX = "aud_"
UNION = "+"   # coverage."f18_24+f25_34": the union of segments (their shares add up)
# The words exports use for influmix's columns (letters and digits only, lower case).
SYNONYMS = {
    "id": ("username", "user", "handle", "account", "screenname", "instagramname", "channel", "youtubechannel",
           "tiktokname", "profile"),
    "name": ("fullname", "displayname", "youtubername", "creator", "influencer", "title"),
    "platform": ("network", "socialnetwork", "channeltype", "site", "media"),
    "followers": ("followercount", "follower", "subscribers", "subscriber", "fans", "audiencesize"),
    "engagement_rate": ("er", "engagement", "engrate", "engagementrate", "avgengagementrate"),
    "cost_per_post": ("price", "cost", "rate", "priceperpost", "ratecard", "costpost"),
    "niche": ("category", "category1", "topic", "vertical", "genre", "categories", "interest"),
    "country": ("location", "market", "audiencecountry", "region", "geo"),
    "max_posts": ("postsavailable", "maxposts", "slots"),
    "authenticity": ("authentic", "realfollowers", "audiencequality", "quality"),
}
GENDER_AGE = re.compile(r"(?P<sex>female|women|woman|male|men|man|f|m)\D*?(?P<low>\d{2})\s*"
                        r"(?:(?:-|–|to)\s*(?P<high>\d{2})|(?P<plus>\+))")


def segments_of(name: str) -> list[str]:
    """The segments of a coverage name: "f18_24+f25_34" -> ["f18_24", "f25_34"]."""
    return name.split(UNION)


@dataclass(frozen=True)
class Mapped:
    """One mapped column: the influmix name and whether its values are percentages."""

    target: str
    percent: bool


def parse_mapping(mapping: Mapping[str, str] | None, known: tuple[str, ...],
                  fractions: tuple[str, ...]) -> tuple[dict[str, Mapped], list[str]]:
    """The mapping keyed by the file's (normalized) name, and a problem for each bad entry;
    `known` are influmix's column names, `fractions` those that may be percent (and aud_*)."""
    parsed: dict[str, Mapped] = {}
    problems = []
    for source, target in (mapping or {}).items():
        name = str(target).strip()
        percent = name.lower().endswith(PERCENT)
        name = name[: -len(PERCENT)].strip().lower() if percent else name.lower()
        if name not in known and not (name.startswith(SEGMENT_PREFIX) and len(name) > len(SEGMENT_PREFIX)):
            problems.append(f"column mapping {source!r} = {target!r}: {name!r} is no influmix column; "
                            f"use one of {', '.join(known)} or aud_<segment>, optionally with {PERCENT}")
            continue
        if percent and name not in fractions and not name.startswith(SEGMENT_PREFIX):
            problems.append(f"column mapping {source!r} = {target!r}: {PERCENT} applies to rates and shares "
                            f"({', '.join(fractions)}, aud_<segment>), not to {name}")
            continue
        key = str(source).strip().lower()
        if key in parsed:
            problems.append(f"column mapping {source!r} = {target!r}: maps a file column mapped before "
                            "(file column names ignore case and surrounding spaces)")
            continue
        parsed[key] = Mapped(name, percent)
    targets = [m.target for m in parsed.values()]
    problems += [f"column mapping: {t!r} is the target of {targets.count(t)} columns" for t in dict.fromkeys(targets)
                 if targets.count(t) > 1]
    return parsed, problems


def parse_map_options(entries: list[str]) -> dict[str, str]:
    """`--map 'ER %=engagement_rate:percent'` entries as a mapping; ValueError names a bad one."""
    mapping = {}
    for entry in entries:
        source, equals, target = entry.rpartition("=")
        if not equals or not source.strip() or not target.strip():
            raise ValueError(f"{entry!r}: write FILE_COLUMN=INFLUMIX_COLUMN, e.g. 'Username=id'")
        mapping[source.strip().strip("\"'")] = target.strip().strip("\"'")
    return mapping


def likely_meaning(name: str) -> str | None:
    """The influmix column an export's name probably means (`Category` -> niche), if any."""
    words = name.lower()
    match = GENDER_AGE.search(words)
    if match and re.search(r"\d", words):
        sex = "f" if match["sex"].startswith(("f", "w")) else "m"
        return f"{SEGMENT_PREFIX}{sex}{match['low']}_{match['high'] or 'plus'}"
    key = re.sub(r"[^a-z0-9]", "", words)
    for column, synonyms in SYNONYMS.items():
        if key in synonyms or key == column.replace("_", ""):
            return column
    for column, synonyms in SYNONYMS.items():
        if any(key.startswith(word) for word in synonyms if len(word) >= 5):
            return column
    return None
