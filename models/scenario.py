"""The scenario file (SPEC section 3): TOML in, a validated and immutable Scenario out.

Loading follows `extends` (tables merge deeply, the extending file wins), resolves the
catalog path against the file that names it, and remembers which file set each key, so
that every problem is reported as `file: key a.b: message`. Rules that need the catalog
(segments, limit values, ids) are checked by the optimizer.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from models.catalog import COLUMNS as CATALOG_COLUMNS
from models.catalog import FRACTIONS as CATALOG_FRACTIONS
from models.catalog import catalog_id, catalog_path
from models.columns import UNION, parse_mapping, segments_of
from models.errors import ScenarioError
from models.files import read_input, wide_encoding
from models.tiers import DEFAULT_TIERS, ordered

COMMAND_LINE = "command line"
MAX_SCENARIO_BYTES = 2**20  # a scenario is a page of TOML; anything bigger is not one
MAX_EXTENDS = 32  # files in one extends chain
MAX_KEY_PARTS = 32  # parts of one dotted key (limits.tier.micro.min_share has 4)
_KEY_PART = r"""(?:[\w-]+|"(?:\\.|[^"\\\n])*"|'[^'\n]*')[ \t]*\.[ \t]*"""
_DEEP_KEY = re.compile(rf"(?:^|[{{,])[ \t]*\[{{0,2}}[ \t]*(?:{_KEY_PART}){{{MAX_KEY_PARTS}}}", re.M)
Column = Literal["tier", "platform", "niche", "country"]
Source = Path | str | None  # a scenario file, COMMAND_LINE, or None for a dict without a file
LARGEST_AMOUNT = 1e15  # money, reach, engagements: beyond this the solver cannot represent the model
LARGEST_COUNT = 10**9  # influencers, posts, values
NonNegative = Annotated[float, Field(ge=0, le=LARGEST_AMOUNT)]
Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0, le=LARGEST_COUNT)]
PART_TWO_TABLES = ("simulation", "audience", "robustness", "prices", "replan")  # left out of sha256 when not written
LATER_KEYS = {"targets": ("impressions", "max_cpe"), "diversity": ("max_posts_per_influencer",),
              "filters": ("exclude_niches", "exclude_countries"), "objective": ("risk",)}   # likewise: a part-one scenario keeps its hash


class _Table(BaseModel):
    """A TOML table: unknown keys are errors, values are frozen, no lax string-to-number coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _ids(ids: list[str]) -> list[str]:
    """Catalog ids as the catalog reads them, each once."""
    return list(dict.fromkeys(map(catalog_id, ids)))


def _fault(field: str | None, message: str) -> PydanticCustomError:
    """A rule broken by the value being validated, or by one of its fields (reported as its dotted key)."""
    return PydanticCustomError("scenario", "{message}", {"field": field, "message": message})


def _check_order(table: BaseModel, low: str, high: str) -> None:
    """Fault at `high` when both bounds are set and `low` exceeds it."""
    lower, upper = getattr(table, low), getattr(table, high)
    if lower is not None and upper is not None and lower > upper:
        raise _fault(high, f"must be at least {low} ({_number(lower)}), got {_number(upper)}")


class Risk(_Table):
    """The risk objective: (1 - weight) * mean + weight * CVaR over `runs` sampled outcomes (SPEC section 10)."""

    cvar: Annotated[float, Field(gt=0, lt=1)] = Field(description="The worst share of runs the CVaR averages, in (0, 1).")
    weight: Share = Field(description="Weight of the CVaR against the mean, in [0, 1]; 0 = the mean-optimal plan.")
    runs: Annotated[int, Field(ge=1, le=10_000)] = Field(
        200, description="Sampled runs in the model (one dense row each), drawn apart from [simulation]'s.")

    @model_validator(mode="after")
    def _one_run_at_least(self) -> Risk:
        if self.cvar * self.runs < 1:
            raise _fault("cvar", f"the worst share holds less than one run: cvar * runs = {self.cvar * self.runs:g}, "
                                 "needs at least 1")
        return self


class Objective(_Table):
    """What the plan optimizes: maximize a delivery metric, or minimize cost."""

    maximize: Literal["engagements", "reach", "targeted_reach"] | None = Field(
        None, description="Metric to maximize; the default when neither maximize nor minimize is given: engagements.")
    minimize: Literal["cost"] | None = Field(
        None, description="The alternative to maximize: the cheapest plan that meets the targets.")
    segment_weights: dict[str, NonNegative] = Field(
        default_factory=dict, description="targeted_reach only: weight per audience segment (default 1).")
    risk: Risk | None = Field(None, description="Risk objective for engagements or gross reach: "
                                                "{cvar, weight, runs} (docs/reference.md \"Risk\").")

    @model_validator(mode="before")
    @classmethod
    def _default_metric(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("maximize") is None and data.get("minimize") is None:
            return {**data, "maximize": "engagements"}
        return data

    @model_validator(mode="after")
    def _one_sense(self) -> Objective:
        if self.maximize is not None and self.minimize is not None:
            raise _fault("minimize", "give either maximize or minimize, not both")
        if self.risk is not None and self.metric not in ("engagements", "reach"):
            raise _fault("risk", f'is not supported with {self.sense} = "{self.metric}" '
                                 '(only maximize = "engagements" or "reach")')
        return self

    @property
    def sense(self) -> Literal["maximize", "minimize"]:
        return "minimize" if self.minimize else "maximize"

    @property
    def metric(self) -> Literal["engagements", "reach", "targeted_reach", "cost"]:
        return self.minimize or self.maximize or "engagements"


class Budget(_Table):
    """Bounds on total spend S, in the scenario's currency."""

    max: NonNegative | None = Field(None, description="S <= max. A maximize objective needs it (or --budget).")
    min: NonNegative | None = Field(None, description="S >= min.")

    @model_validator(mode="after")
    def _bounds(self) -> Budget:
        _check_order(self, "min", "max")
        return self


class Targets(_Table):
    """Floors on the whole plan."""

    engagements: NonNegative | None = Field(None, description="Expected engagements of the plan >= this.")
    reach: NonNegative | None = Field(None, description="Gross reach (each booked audience once) >= this; "
                                                        "with [audience], unique reach U >= this.")
    impressions: NonNegative | None = Field(None, description="With [audience]: impressions sum A v x >= this.")
    max_cpe: Annotated[float, Field(gt=0, le=LARGEST_AMOUNT)] | None = Field(
        None, description="Cost per engagement of the plan <= this: spend S <= max_cpe * sum E x (linear).")


class Coverage(_Table):
    """A floor on the reach of one audience segment (catalog column aud_<segment>)."""

    min_reach: NonNegative = Field(description="Reach within the segment >= this.")


class Diversity(_Table):
    """How spread out the plan must be."""

    max_share_per_influencer: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None, description="Most any one influencer may take of total spend, in (0, 1].")
    max_posts_per_influencer: Annotated[int, Field(ge=1, le=LARGEST_COUNT)] | None = Field(
        None, description="Most posts per creator, on top of each row's max_posts.")
    min_influencers: Count | None = Field(None, description="Fewest influencers booked.")
    max_influencers: Count | None = Field(None, description="Most influencers booked.")
    min_distinct: dict[Column, Count] = Field(
        default_factory=dict, description="Fewest distinct values booked per column, e.g. {niche = 3}.")

    @model_validator(mode="after")
    def _bounds(self) -> Diversity:
        _check_order(self, "min_influencers", "max_influencers")
        return self


class GroupLimit(_Table):
    """Bounds for one group of a categorical column, e.g. [limits.tier.mega]."""

    min_share: Share | None = Field(None, description="Group spend >= min_share * total spend.")
    max_share: Share | None = Field(None, description="Group spend <= max_share * total spend.")
    min_count: Count | None = Field(None, description="Fewest influencers booked from the group.")
    max_count: Count | None = Field(None, description="Most influencers booked from the group.")

    @model_validator(mode="after")
    def _bounds(self) -> GroupLimit:
        _check_order(self, "min_share", "max_share")
        _check_order(self, "min_count", "max_count")
        return self


class Filters(_Table):
    """Which catalog rows are eligible (an explicit include beats the filters)."""

    platforms: list[str] | None = Field(None, description="Allowed platforms (case-insensitive).")
    niches: list[str] | None = Field(None, description="Allowed niches.")
    countries: list[str] | None = Field(None, description="Allowed audience countries.")
    exclude_niches: list[str] | None = Field(None, description="Niches never booked (case-insensitive).")
    exclude_countries: list[str] | None = Field(None, description="Audience countries never booked.")
    min_authenticity: Share | None = Field(None, description="Lowest share of real followers, in [0, 1].")
    min_followers: NonNegative | None = Field(None, description="Fewest followers.")
    max_followers: NonNegative | None = Field(None, description="Most followers.")
    min_engagement_rate: Share | None = Field(None, description="Lowest engagement rate, in [0, 1].")

    @field_validator("platforms")
    @classmethod
    def _lower(cls, platforms: list[str] | None) -> list[str] | None:
        return None if platforms is None else [platform.lower() for platform in platforms]

    @model_validator(mode="after")
    def _bounds(self) -> Filters:
        _check_order(self, "min_followers", "max_followers")
        for key in ("platforms", "niches", "countries"):
            if getattr(self, key) == []:
                raise _fault(key, f"an empty list allows no {key} at all; leave the key out to allow every one")
        return self


class Selection(_Table):
    """Influencers forced in or out, by catalog id."""

    include: list[str] = Field(default_factory=list, description="Ids that must be booked (>= 1 post).")
    exclude: list[str] = Field(default_factory=list, description="Ids that are never booked.")

    @field_validator("include", "exclude")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        return _ids(ids)

    @model_validator(mode="after")
    def _disjoint(self) -> Selection:
        both = [i for i in self.include if i in self.exclude]
        if both:
            raise _fault("exclude", f"{', '.join(map(repr, both))} also in include; an id cannot be both")
        return self


class SolverOptions(_Table):
    """Which MIP solver runs and when it may stop."""

    name: Literal["highs", "cbc"] = Field(
        "highs", description="highs (default, in-process) or cbc (bundled with PuLP).")
    time_limit: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Seconds before the best plan found is returned.")
    gap: Annotated[float, Field(ge=0, lt=1)] = Field(1e-4, description="Relative MIP gap at which the solver stops.")


class Simulation(_Table):
    """Monte Carlo runs on the plan: outcome ranges and the chance of each floor (SPEC section 10)."""

    runs: Annotated[int, Field(ge=0, le=1_000_000)] = Field(2000, description="Runs on the plan; 0 = off. Left unset, large plans skip the "
                                          "simulation (with a note); set it to always run.")
    seed: Count = Field(0, description="Seed of the random numbers: the same seed gives the same figures.")
    engagement_sd: NonNegative = Field(
        0.4, description="Log-sd of engagements per post where the catalog has no engagement_sd "
                         "(0.4: the WWW'20 Instagram median).")
    delivery: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="Probability that a creator delivers its booked posts where the catalog has no "
                         "delivery, in (0, 1].")


class Audience(_Table):
    """The people in the market: turns on unique reach and frequency (docs/reference.md "Audience")."""

    population: Annotated[float, Field(gt=0)] = Field(description="People in the market, N.")
    segments: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="People in each segment, N_k (segments of the catalog's aud_ columns).")
    view_rate: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=dict, description="Share of a creator's real audience that sees one post, in (0, 1]: "
                                          "by platform, and `default` for the others (else 1).")

    @field_validator("view_rate")
    @classmethod
    def _lower(cls, rates: dict[str, float]) -> dict[str, float]:
        return {platform.lower(): rate for platform, rate in rates.items()}


class Robustness(_Table):
    """Floors that survive creators who deliver nothing (docs/reference.md "Dropouts")."""

    dropouts: Count = Field(0, description="Every outcome floor still holds if any this many booked creators "
                                           "deliver nothing.")


class Replan(_Table):
    """Re-planning against a previous plan (SPEC section 11; `solve --previous PLAN`)."""

    max_changes: Count | None = Field(
        None, description="Most creators added or dropped against the previous plan (unset: no limit).")
    keep: list[str] = Field(default_factory=list, description="Ids of the previous plan that must stay booked.")
    previous: dict[str, Annotated[int, Field(ge=1, le=LARGEST_COUNT)]] | None = Field(
        None, description="The previous plan, id -> posts; set by --previous (or solve(previous=...)).")

    @field_validator("keep")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        return _ids(ids)

    @field_validator("previous")
    @classmethod
    def _read_ids(cls, posts: dict[str, int] | None) -> dict[str, int] | None:
        return None if posts is None else {catalog_id(ident): count for ident, count in posts.items()}


class Scenario(_Table):
    """An influmix scenario file: a campaign's objective, budget, floors and limits (SPEC section 3)."""

    name: str = Field("scenario", description="Display name; not inherited through extends; default: the file's stem.")
    description: str = Field("", description="Free text.")
    catalog: Annotated[Path | None, Field(strict=False)] = Field(
        None, description="Catalog file, relative to the file that names it; "
                          "required unless given on the command line.")
    extends: str | None = Field(
        None, description="Base scenario file, relative to this one; consumed while loading: "
                          "tables merge deeply, this file wins, arrays and scalars replace.")
    currency: str = Field("USD", description="Currency of budget and catalog costs.")
    columns: dict[str, str] = Field(
        default_factory=dict, description="The catalog's own column names -> influmix names, e.g. "
                                          '{Username = "id", "ER %" = "engagement_rate:percent"} '
                                          "(:percent divides the values by 100).")
    objective: Objective = Field(default_factory=Objective, description="What to optimize.")
    budget: Budget = Field(default_factory=Budget, description="Bounds on total spend.")
    targets: Targets = Field(default_factory=Targets, description="Floors on engagements and reach of the plan.")
    coverage: dict[str, Coverage] = Field(default_factory=dict, description="Reach floor per audience segment.")
    diversity: Diversity = Field(default_factory=Diversity, description="Spread of the plan.")
    tiers: dict[str, NonNegative] | None = Field(
        None, description="Replaces the default tier scheme: tier name -> lower bound of followers.")
    limits: dict[Column, dict[str, GroupLimit]] = Field(
        default_factory=dict, description="Spend-share and count bounds per group: limits.<column>.<value>.")
    filters: Filters = Field(default_factory=Filters, description="Which catalog rows are eligible.")
    selection: Selection = Field(default_factory=Selection, description="Ids forced in or out.")
    solver: SolverOptions = Field(default_factory=SolverOptions, description="Solver and stopping rules.")
    simulation: Simulation = Field(default_factory=Simulation, description="Monte Carlo outcome ranges of the plan.")
    audience: Audience | None = Field(None, description="Population and view rates: unique reach and frequency.")
    robustness: Robustness = Field(default_factory=Robustness, description="Floors that survive dropouts.")
    prices: dict[Column, dict[str, Annotated[float, Field(gt=0, le=LARGEST_COUNT)]]] = Field(
        default_factory=dict, description="What-if multipliers on cost_per_post per group, e.g. "
                                          "{platform = {tiktok = 1.2}}; several matching ones multiply.")
    replan: Replan = Field(default_factory=Replan, description="Limits on changes against a previous plan.")

    _path: Path | None = PrivateAttr(None)
    _provenance: dict[str, Source] = PrivateAttr(default_factory=dict)
    _raw: dict[str, Any] | None = PrivateAttr(None)

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise _fault(None, "is empty; give the scenario a name, or leave the key out for the file's stem")
        return name

    @field_validator("tiers")
    @classmethod
    def _scheme(cls, tiers: dict[str, float] | None) -> dict[str, float] | None:
        if tiers is None:
            return None
        if not tiers:
            raise _fault(None, "needs at least one tier (or leave [tiers] out for the default scheme)")
        seen: dict[float, str] = {}
        for tier, bound in tiers.items():
            if bound in seen:
                raise _fault(tier, f"has the lower bound of {seen[bound]} ({_number(bound)}); bounds must be distinct")
            seen[bound] = tier
        return tiers

    @field_validator("columns")
    @classmethod
    def _column_names(cls, columns: dict[str, str]) -> dict[str, str]:
        _, problems = parse_mapping(columns, CATALOG_COLUMNS, CATALOG_FRACTIONS)
        if problems:
            raise _fault(None, problems[0].removeprefix("column mapping "))
        return columns

    @field_validator("limits", "prices")
    @classmethod
    def _lower_platforms(cls, groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if "platform" not in groups:
            return groups
        lowered = {value.lower(): entry for value, entry in groups["platform"].items()}
        if len(lowered) < len(groups["platform"]):
            raise _fault("platform", "names one platform twice (platform names are case-insensitive)")
        return {**groups, "platform": lowered}

    @field_validator("coverage")
    @classmethod
    def _unions(cls, coverage: dict[str, Coverage]) -> dict[str, Coverage]:
        for name in coverage:
            parts = segments_of(name)
            if "" in parts or len(set(parts)) < len(parts):
                raise _fault(name, f"a union of segments is written a{UNION}b, each segment once")
        return coverage

    @model_validator(mode="after")
    def _catalog_with_columns(self) -> Scenario:
        if self.catalog is not None:
            object.__setattr__(self, "catalog", catalog_path(self.catalog, self.columns))
        return self

    @model_validator(mode="after")
    def _audience_rules(self) -> Scenario:
        """Floors and segments against [audience] (the catalog-dependent rules: models/catalog_rules.py)."""
        audience = self.audience
        if audience is not None and self.objective.risk is not None:
            raise _fault("objective.risk", "risk with unique reach ([audience]) is not supported: a run's unique "
                                           "reach is not linear in the plan")
        if audience is None:
            if self.targets.impressions is not None:
                raise _fault("targets.impressions", "needs [audience] (impressions count the posts seen)")
            return self
        if self.targets.reach is not None and self.targets.reach >= audience.population:
            raise _fault("targets.reach", f"must be below audience.population ({_number(audience.population)}), "
                                          f"got {_number(self.targets.reach)}")
        weighted = self.objective.segment_weights if self.objective.maximize == "targeted_reach" else {}
        for key, segment in [(f"coverage.{s}", s) for s in self.coverage] + [
                (f"objective.segment_weights.{s}", s) for s in weighted]:
            if UNION in segment:
                raise _fault(key, "a union of segments needs its people, which [audience] does not give; "
                                  "write one floor per segment")
            if segment not in audience.segments:
                raise _fault(key, f"segment '{segment}' is not in audience.segments "
                                  f"({', '.join(audience.segments) or 'none'}): its population is needed")
        for segment, floor in self.coverage.items():
            if floor.min_reach >= audience.segments[segment]:
                raise _fault(f"coverage.{segment}.min_reach", f"must be below audience.segments.{segment} "
                                                              f"({_number(audience.segments[segment])}), "
                                                              f"got {_number(floor.min_reach)}")
        if self.objective.maximize == "targeted_reach" and not audience.segments:
            raise _fault("audience.segments", 'maximize = "targeted_reach" with [audience] needs segment populations')
        return self

    @property
    def unique(self) -> bool:
        """Whether reach means unique reach ([audience] is set)."""
        return self.audience is not None

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read, merge (extends) and validate a scenario file."""
        file = Path(path).absolute()
        return cls._compose(_read(file), file)

    @classmethod
    def from_dict(cls, data: dict, path: Path | None = None) -> Scenario:
        """Validate a scenario given as a dict; relative paths resolve against path's folder (or the cwd)."""
        file = Path(path).absolute() if path is not None else None
        if not isinstance(data, dict):
            raise ScenarioError(file, f"a scenario is a table of keys, got {_show(data)}")
        return cls._compose(copy.deepcopy(data), file)

    @classmethod
    def _compose(cls, data: dict, file: Path | None) -> Scenario:
        merged, provenance = _layered(data, file, ())
        return cls._validated({"name": file.stem if file else "scenario", **merged}, file, provenance)

    @classmethod
    def _validated(cls, raw: dict, file: Path | None, provenance: dict[str, Source]) -> Scenario:
        try:
            scenario = cls.model_validate(raw)
        except ValidationError as error:
            raise _scenario_error(error, provenance, file) from error
        scenario._path, scenario._provenance, scenario._raw = file, provenance, raw
        return scenario

    @property
    def path(self) -> Path | None:
        """The file this scenario was loaded from (absolute), if any."""
        return self._path

    @property
    def files(self) -> list[Path]:
        """The scenario file and the base files (extends) whose keys it holds."""
        named = [self._path, *self._provenance.values()]
        return list(dict.fromkeys(source for source in named if isinstance(source, Path)))

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the validated scenario as canonical JSON (sorted keys).

        The catalog enters relative to the scenario's folder, so a project moved to another
        folder or machine keeps its hashes; an empty [columns] is left out, so that scenarios
        written before it existed keep theirs.
        """
        unwritten = set(PART_TWO_TABLES) - self.model_fields_set | (set() if self.columns else {"columns"})
        exclude: dict[str, Any] = dict.fromkeys(unwritten, True)
        for table, keys in LATER_KEYS.items():     # later keys: a part-one scenario keeps its hash
            if unset := set(keys) - getattr(self, table).model_fields_set:
                exclude[table] = unset
        data = self.model_dump(mode="json", exclude=exclude)
        if self.catalog is not None and self._path is not None:
            data["catalog"] = Path(os.path.relpath(self.catalog, self._path.parent)).as_posix()
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def key_file(self, key: str) -> Source:
        """The file that set the dotted key (or its nearest parent table); "command line" for overrides."""
        return _source(self._provenance, key, self._path)

    def override(self, changes: dict[str, object]) -> Scenario:
        """A new validated Scenario with dotted keys replaced, e.g. {"budget.max": 20000}."""
        raw = copy.deepcopy(self._raw) if self._raw is not None else self.model_dump(exclude_unset=True)
        provenance = dict(self._provenance)
        for key, value in _with_catalog(copy.deepcopy(dict(changes)), Path.cwd()).items():
            key = _as_written(raw, key)
            _assign(raw, key, value)
            provenance = {k: v for k, v in provenance.items() if k != key and not k.startswith(f"{key}.")}
            provenance.update({key: COMMAND_LINE, **_sources(value, COMMAND_LINE, f"{key}.")})
        return self._validated(raw, self._path, provenance)

    @property
    def tier_scheme(self) -> dict[str, float]:
        """The tier scheme in force, sorted by lower bound."""
        return ordered(self.tiers or DEFAULT_TIERS)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the scenario file format."""
        schema = cls.model_json_schema()
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema,
                "title": "influmix scenario file"}


# --- reading and merging files ---------------------------------------------------------

def _read(file: Path) -> dict:
    """The TOML table in `file` (a UTF-8 BOM is fine); any failure is a ScenarioError naming it."""
    raw = read_input(file, MAX_SCENARIO_BYTES, ScenarioError)
    if wide := wide_encoding(raw):
        raise ScenarioError(file, f"is {wide} text, not UTF-8; save the file as UTF-8")
    if b"\0" in raw:
        raise ScenarioError(file, "not a TOML text file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(file, f"not UTF-8 text (invalid byte at offset {error.start})") from None
    if deep := _DEEP_KEY.search(text):   # tomllib takes quadratic time and memory on a long dotted key
        line = text.count("\n", 0, deep.end()) + 1
        raise ScenarioError(file, f"line {line}: a dotted key of more than {MAX_KEY_PARTS} parts; "
                                  "a scenario key has a few")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(file, f"TOML syntax error: {error}") from None
    except RecursionError:
        raise ScenarioError(file, "arrays or inline tables nested hundreds deep; a scenario nests a few") from None


def _layered(data: dict, file: Path | None, chain: tuple[Path, ...]) -> tuple[dict, dict[str, Source]]:
    """`data` merged over its `extends` chain, with the file that set each key."""
    folder = file.parent if file else Path.cwd()
    data = _with_catalog(data, folder)
    provenance = _sources(data, file)
    base_name = data.get("extends")
    if base_name is None:
        return data, provenance
    if not isinstance(base_name, str):
        raise ScenarioError(file, f"key extends: must be a string, got {_show(base_name)}")
    chain = chain + (file.resolve(),) if file else chain
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(file, f"key extends: the extends chain is longer than {MAX_EXTENDS} files")
    base_file = folder / base_name
    if not os.path.exists(base_file):
        raise ScenarioError(file, f"key extends: base file {base_name!r} not found ({base_file})")
    if os.path.isdir(base_file):
        raise ScenarioError(file, f"key extends: {base_name!r} is a folder ({base_file}), not a scenario file")
    base_data = _read(base_file)
    if base_file.resolve() in chain:
        names = [os.path.relpath(link, chain[0].parent) for link in chain + (base_file.resolve(),)]
        raise ScenarioError(file, f"key extends: extends cycle: {' -> '.join(names)}")
    base, base_provenance = _layered(base_data, base_file, chain)
    base.pop("name", None)
    merged = _merge(_platforms_respelt(_sense_replaced(base, data), data), data)
    present = _sources(merged, None)
    return merged, {key: source for key, source in {**base_provenance, **provenance}.items() if key in present}


def _with_catalog(data: dict, folder: Path) -> dict:
    """`data` with a relative catalog path made absolute against `folder`."""
    catalog = data.get("catalog")
    if isinstance(catalog, (str, Path)):
        return {**data, "catalog": folder / catalog}
    return data


def _sense_replaced(base: dict, child: dict) -> dict:
    """`base` without its objective's sense when the child names one (a child's minimize replaces a
    base's maximize and vice versa); the base's segment_weights stay only for targeted_reach."""
    mine, theirs = child.get("objective"), base.get("objective")
    if not (isinstance(mine, dict) and isinstance(theirs, dict) and {"maximize", "minimize"} & mine.keys()):
        return base
    dropped = {"maximize", "minimize"} | (set() if mine.get("maximize") == "targeted_reach" else {"segment_weights"})
    return {**base, "objective": {key: value for key, value in theirs.items() if key not in dropped}}


def _platforms_respelt(base: dict, child: dict) -> dict:
    """`base` with each platform of its platform tables spelt as the child spells it (`TikTok` and
    `tiktok` are one platform), so that the child's entry merges into the base's, not beside it."""
    respelt = dict(base)
    for table, column in PLATFORM_TABLES:
        theirs, mine = base.get(table), child.get(table)
        theirs = theirs.get(column) if isinstance(theirs, dict) else None
        mine = mine.get(column) if isinstance(mine, dict) else None
        if isinstance(theirs, dict) and isinstance(mine, dict) and len({n.lower() for n in theirs}) == len(theirs):
            spelling = {name.lower(): name for name in mine}
            respelt[table] = {**base[table], column: {spelling.get(name.lower(), name): value
                                                      for name, value in theirs.items()}}
    return respelt


def _merge(base: dict, child: dict) -> dict:
    """Tables merge deeply, the child wins; arrays and scalars replace."""
    merged = dict(base)
    for key, value in child.items():
        below = merged.get(key)
        merged[key] = _merge(below, value) if isinstance(value, dict) and isinstance(below, dict) else value
    return merged


def _sources(value: object, source: Source, prefix: str = "") -> dict[str, Source]:
    """Every dotted key in a (nested) table mapped to `source`."""
    if not isinstance(value, dict):
        return {}
    found: dict[str, Source] = {}
    for key, inner in value.items():
        found[f"{prefix}{key}"] = source
        found.update(_sources(inner, source, f"{prefix}{key}."))
    return found


def _source(provenance: dict[str, Source], key: str, fallback: Source) -> Source:
    """The source of `key` or of its nearest parent table that has one."""
    while key:
        if key in provenance:
            return provenance[key]
        key = key.rpartition(".")[0]
    return fallback


PLATFORM_TABLES = (("limits", "platform"), ("prices", "platform"), ("audience", "view_rate"))


def canonical_key(key: str) -> str:
    """A dotted key with the platform it names lower-cased, as the scenario holds it
    (limits.platform.TikTok.max_share is limits.platform.tiktok.max_share)."""
    parts = key.split(".")
    if len(parts) > 2 and tuple(parts[:2]) in PLATFORM_TABLES:
        parts[2] = parts[2].lower()
    return ".".join(parts)


def _as_written(raw: dict, key: str) -> str:
    """`key` canonical, with the platform it names spelt as the raw table spells it
    (`[limits.platform.TikTok]`), so that a change replaces that entry instead of adding a second."""
    key = canonical_key(key)
    parts = key.split(".")
    if len(parts) > 2 and tuple(parts[:2]) in PLATFORM_TABLES:
        table = raw.get(parts[0])
        table = table.get(parts[1]) if isinstance(table, dict) else None
        written = [name for name in table if str(name).lower() == parts[2]] if isinstance(table, dict) else []
        parts[2] = written[0] if written else parts[2]
    return ".".join(parts)


def _assign(tree: dict, key: str, value: object) -> None:
    """Set a dotted key, creating missing tables."""
    *tables, leaf = key.split(".")
    node = tree
    for depth, table in enumerate(tables, start=1):
        node = node.setdefault(table, {})
        if not isinstance(node, dict):
            raise ScenarioError(COMMAND_LINE, f"key {key}: {'.'.join(tables[:depth])} is not a table")
    node[leaf] = value


# --- turning pydantic's errors into located messages -----------------------------------

_BOUNDS = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
           "greater_than": ("greater than", "gt"), "less_than": ("less than", "lt")}
_KINDS = {"float_type": "a number", "int_type": "a whole number", "string_type": "a string",
          "list_type": "an array", "dict_type": "a table", "model_type": "a table",
          "finite_number": "a finite number", "path_type": "a path"}


def _scenario_error(error: ValidationError, provenance: dict[str, Source], fallback: Source) -> ScenarioError:
    """One ScenarioError, one line per problem, grouped by the file that set the key."""
    located = []
    for detail in error.errors(include_url=False):
        key, line = _problem(detail)
        located.append((_source(provenance, key, fallback), line))
    files = list(dict.fromkeys(file for file, _ in located))
    located.sort(key=lambda item: files.index(item[0]))
    first = files[0]
    return ScenarioError(first, [(f"{file}: " if file != first else "") + line for file, line in located])


def _problem(detail: dict) -> tuple[str, str]:
    """The dotted key of one pydantic error and its line `key a.b: message`."""
    loc = list(detail["loc"])
    in_key = len(loc) > 1 and loc[-1] == "[key]" and detail["type"] != "extra_forbidden"  # a bad dict key
    if in_key:
        loc.pop()
    ctx = detail.get("ctx") or {}
    if detail["type"] == "scenario" and ctx["field"] is not None:
        loc.append(ctx["field"])
    key = ".".join(map(str, loc))
    message = _message(detail, ctx, loc, in_key)
    return key, f"key {key}: {message}" if key else message


def _message(detail: dict, ctx: dict, loc: list, in_key: bool) -> str:
    """A user's words for one pydantic error."""
    kind, value = detail["type"], detail.get("input")
    if kind == "scenario":
        return ctx["message"]
    if kind == "extra_forbidden":
        table = _table_at(loc[:-1])
        return "unknown key" + _hint(loc[-1], list(table.model_fields) if table else [])
    if kind == "literal_error":
        expected = ctx["expected"]
        head = f"unknown key; expected {expected}" if in_key else f"must be {expected}, got {_show(value)}"
        return head + _hint(value, re.findall(r"'([^']*)'", expected))
    if kind in _BOUNDS:
        word, name = _BOUNDS[kind]
        # a share or rate of 2 to 100 was written as a percentage (1.5 could be either: no guess)
        percent = name == "le" and ctx[name] == 1 and isinstance(value, (int, float)) and 2 <= value <= 100
        return f"must be {word} {_number(ctx[name])}, got {_show(value)}" + (
            f"; write fractions: {value / 100:g}, not {_show(value)}" if percent else "")
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, got {_show(value)}"
    if kind == "missing":
        return "is required"
    return detail["msg"]


def _table_at(loc: list) -> type[BaseModel] | None:
    """The model class of the table at `loc`, if it is one."""
    node = _annotation_at(loc)
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def number_type(key: str) -> type | None:
    """int or float where the dotted `key` holds a number in the scenario format (an entry of a
    table of names, e.g. limits.platform.tiktok.max_share, by any name), set or not; else None."""
    node = _annotation_at(key.split("."))
    if get_origin(node) is Annotated:
        node = get_args(node)[0]
    return node if node in (int, float) else None


def _annotation_at(loc: list) -> Any:
    """The type of the scenario key at `loc` (without `| None`), None where there is no such key."""
    node: Any = Scenario
    for step in loc:
        node = _bare(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(step)
            node = field.annotation if field else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return None
    return _bare(node)


def _bare(annotation: Any) -> Any:
    """`annotation` without `| None`."""
    if get_origin(annotation) in (Union, UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _hint(word: object, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(value: object) -> str:
    """A short rendering of a value as the user wrote it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
