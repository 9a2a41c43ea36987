"""The scenario file contract (SPEC section 3): loading, extends, validation messages, API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.errors import ScenarioError
from models.scenario import COMMAND_LINE, Budget, Scenario
from models.tiers import DEFAULT_TIERS

SPEC_EXAMPLE = '''
name = "Spring launch, micro-heavy"
description = "free text"
catalog = "catalogs/sample.csv"     # relative to this file
currency = "USD"

[objective]
maximize = "targeted_reach"
segment_weights = { f18_24 = 2.0 }

[budget]
max = 50000
min = 0

[targets]
engagements = 100000
reach = 1000000

[coverage.f18_24]
min_reach = 200000

[diversity]
max_share_per_influencer = 0.15
min_influencers = 5
max_influencers = 40
min_distinct = { niche = 3, platform = 2 }

[tiers]
nano = 0
micro = 10000
macro = 100000
mega = 1000000

[limits.tier.mega]
max_share = 0.3
[limits.tier.micro]
min_share = 0.4
min_count = 10
[limits.platform.tiktok]
max_count = 5

[filters]
platforms = ["instagram", "TikTok"]
niches = ["beauty", "fitness"]
countries = ["US"]
min_authenticity = 0.8
min_followers = 0
max_followers = 5000000
min_engagement_rate = 0.01

[selection]
include = ["creator_17"]
exclude = ["creator_99"]

[solver]
name = "highs"
time_limit = 60
gap = 0.0001
'''


def write(folder: Path, name: str, text: str) -> Path:
    """Write a scenario file (creating folders) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path)
    return caught.value


# --- a good file -----------------------------------------------------------------------

def test_spec_example_loads_every_value(tmp_path):
    path = write(tmp_path, "spring.toml", SPEC_EXAMPLE)
    s = Scenario.load(path)
    assert (s.name, s.description, s.currency, s.extends) == ("Spring launch, micro-heavy", "free text", "USD", None)
    assert s.catalog == tmp_path / "catalogs" / "sample.csv"
    assert s.path == path
    assert (s.objective.maximize, s.objective.minimize) == ("targeted_reach", None)
    assert (s.objective.sense, s.objective.metric) == ("maximize", "targeted_reach")
    assert s.objective.segment_weights == {"f18_24": 2.0}
    assert (s.budget.max, s.budget.min) == (50000, 0)
    assert (s.targets.engagements, s.targets.reach) == (100000, 1000000)
    assert s.coverage["f18_24"].min_reach == 200000
    d = s.diversity
    assert (d.max_share_per_influencer, d.min_influencers, d.max_influencers) == (0.15, 5, 40)
    assert d.min_distinct == {"niche": 3, "platform": 2}
    assert s.tiers == {"nano": 0, "micro": 10000, "macro": 100000, "mega": 1000000}
    assert s.tier_scheme == s.tiers
    assert s.limits["tier"]["mega"].max_share == 0.3
    assert (s.limits["tier"]["micro"].min_share, s.limits["tier"]["micro"].min_count) == (0.4, 10)
    assert s.limits["platform"]["tiktok"].max_count == 5
    f = s.filters
    assert (f.platforms, f.niches, f.countries) == (["instagram", "tiktok"], ["beauty", "fitness"], ["US"])
    assert (f.min_authenticity, f.min_followers, f.max_followers, f.min_engagement_rate) == (0.8, 0, 5000000, 0.01)
    assert (s.selection.include, s.selection.exclude) == (["creator_17"], ["creator_99"])
    assert (s.solver.name, s.solver.time_limit, s.solver.gap) == ("highs", 60, 0.0001)


def test_spec_example_as_written_loads_segment_weights_beside_engagements(tmp_path):
    """SPEC section 3's example maximizes engagements and sets segment_weights ("targeted_reach only"): it
    loads, the weights kept (checking the scenario against its catalog warns that they are not used)."""
    text = SPEC_EXAMPLE.replace('maximize = "targeted_reach"', 'maximize = "engagements"')
    s = Scenario.load(write(tmp_path, "spring.toml", text))
    assert (s.objective.metric, s.objective.segment_weights) == ("engagements", {"f18_24": 2.0})


def test_defaults(tmp_path):
    s = Scenario.load(write(tmp_path, "plain.toml", 'catalog = "c.csv"\n'))
    assert (s.name, s.description, s.currency, s.catalog) == ("plain", "", "USD", tmp_path / "c.csv")
    assert (s.objective.sense, s.objective.metric, s.objective.maximize) == ("maximize", "engagements", "engagements")
    assert s.objective.segment_weights == {}
    assert (s.budget.max, s.budget.min, s.targets.engagements, s.targets.reach) == (None, None, None, None)
    assert (s.coverage, s.limits, s.tiers, s.diversity.min_distinct) == ({}, {}, None, {})
    assert (s.selection.include, s.selection.exclude, s.filters.platforms) == ([], [], None)
    assert (s.solver.name, s.solver.time_limit, s.solver.gap) == ("highs", None, 1e-4)
    assert s.tier_scheme == DEFAULT_TIERS


def test_minimize_cost_and_numbers():
    s = Scenario.from_dict({"objective": {"minimize": "cost"}, "budget": {"max": 50000}})
    assert (s.objective.sense, s.objective.metric, s.objective.maximize) == ("minimize", "cost", None)
    assert isinstance(s.budget.max, float) and s.name == "scenario" and s.catalog is None


def test_scenario_is_immutable():
    s = Scenario.from_dict({})
    with pytest.raises(ValidationError):
        s.budget = None
    with pytest.raises(ValidationError):
        s.budget.max = 5


def test_platforms_lower_cased_and_ids_deduplicated():
    s = Scenario.from_dict({"limits": {"platform": {"TikTok": {"max_count": 2}}},
                            "selection": {"include": ["a", "b", "a"], "exclude": ["c", "c"]}})
    assert list(s.limits["platform"]) == ["tiktok"]
    assert (s.selection.include, s.selection.exclude) == (["a", "b"], ["c"])


def test_tier_scheme_is_ordered():
    s = Scenario.from_dict({"tiers": {"big": 100000, "small": 0}})
    assert list(s.tier_scheme) == ["small", "big"]


def test_bom_and_crlf(tmp_path):
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbfname = \"win\"\r\n[budget]\r\nmax = 100\r\n")
    s = Scenario.load(path)
    assert (s.name, s.budget.max) == ("win", 100)


def test_from_dict_resolves_catalog_against_cwd_and_keeps_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = {"catalog": "c.csv", "budget": {"max": 10}}
    assert Scenario.from_dict(data).catalog == tmp_path / "c.csv"
    assert Scenario.from_dict(data, tmp_path / "sub" / "s.toml").catalog == tmp_path / "sub" / "c.csv"
    assert data == {"catalog": "c.csv", "budget": {"max": 10}}


# --- extends ---------------------------------------------------------------------------

def test_extends_merges_deeply(tmp_path):
    base = write(tmp_path, "shared/base.toml", '''
name = "Base"
catalog = "cat.csv"
[objective]
maximize = "reach"
[budget]
max = 100
min = 10
[filters]
platforms = ["instagram", "tiktok"]
min_authenticity = 0.5
''')
    child = write(tmp_path, "child.toml", '''
extends = "shared/base.toml"
[budget]
max = 200
[filters]
platforms = ["YouTube"]
''')
    s = Scenario.load(child)
    assert s.catalog == tmp_path / "shared" / "cat.csv"
    assert (s.budget.max, s.budget.min) == (200, 10)
    assert (s.filters.platforms, s.filters.min_authenticity) == (["youtube"], 0.5)
    assert s.objective.metric == "reach"
    assert (s.name, s.extends) == ("child", "shared/base.toml")
    assert (s.key_file("budget.max"), s.key_file("budget.min"), s.key_file("catalog")) == (child, base, base)
    assert s.key_file("filters.platforms") == child and s.key_file("filters") == child
    assert s.key_file("coverage.nowhere") == child


def test_child_catalog_wins_relative_to_child(tmp_path):
    write(tmp_path, "base/base.toml", 'catalog = "a.csv"\n')
    child = write(tmp_path, "child.toml", 'extends = "base/base.toml"\ncatalog = "b.csv"\n')
    assert Scenario.load(child).catalog == tmp_path / "b.csv"


def test_a_childs_platform_entry_in_another_case_merges_into_the_bases(tmp_path):
    write(tmp_path, "base.toml", "[limits.platform.TikTok]\nmax_share = 0.5\nmin_count = 1\n"
                                 "[prices]\nplatform.TikTok = 2\nplatform.youtube = 3\n")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[limits.platform.tiktok]\nmax_share = 0.1\n'
                                          "[prices]\nplatform.TIKTOK = 1.5\n")
    s = Scenario.load(child)
    assert (s.limits["platform"]["tiktok"].max_share, s.limits["platform"]["tiktok"].min_count) == (0.1, 1)
    assert s.prices == {"platform": {"tiktok": 1.5, "youtube": 3}}
    write(tmp_path, "twice.toml", "[limits.platform.TikTok]\nmax_share = 0.5\n[limits.platform.tiktok]\nmin_count = 1\n")
    twice = write(tmp_path, "child2.toml", 'extends = "twice.toml"\n[limits.platform.TIKTOK]\nmax_share = 0.1\n')
    assert "names one platform twice" in str(load_error(twice))


def test_three_levels(tmp_path):
    write(tmp_path, "c.toml", '[budget]\nmax = 1\nmin = 0\n[solver]\nname = "cbc"\n')
    write(tmp_path, "b.toml", 'extends = "c.toml"\n[budget]\nmax = 2\n[targets]\nreach = 7\n')
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\n[targets]\nengagements = 3\n')
    s = Scenario.load(a)
    assert (s.budget.max, s.budget.min, s.solver.name) == (2, 0, "cbc")
    assert (s.targets.reach, s.targets.engagements) == (7, 3)
    assert s.key_file("solver.name") == tmp_path / "c.toml"


def test_extends_cycle(tmp_path):
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    error = load_error(a)
    assert "a.toml -> b.toml -> a.toml" in str(error) and "extends" in str(error)


def test_extends_itself(tmp_path):
    a = write(tmp_path, "a.toml", 'extends = "a.toml"\n')
    assert "a.toml -> a.toml" in str(load_error(a))


def test_missing_base_names_the_extending_file(tmp_path):
    child = write(tmp_path, "child.toml", 'extends = "nope.toml"\n')
    error = load_error(child)
    assert error.file == str(child)
    assert "key extends" in str(error) and "nope.toml" in str(error)


@pytest.mark.parametrize("base", ["", ".", "shared"])
def test_a_folder_as_base_names_the_extending_file(tmp_path, base):
    (tmp_path / "shared").mkdir()
    child = write(tmp_path, "child.toml", f'extends = "{base}"\n')
    error = load_error(child)
    assert error.file == str(child)
    assert f"key extends: {base!r} is a folder" in str(error) and "not a scenario file" in str(error)


def test_bad_extends_in_a_base_is_reported(tmp_path):
    base = write(tmp_path, "base.toml", "extends = 5\n")
    error = load_error(write(tmp_path, "child.toml", 'extends = "base.toml"\n'))
    assert error.file == str(base) and "key extends: must be a string, got 5" in str(error)


def test_broken_base_names_the_base(tmp_path):
    base = write(tmp_path, "base.toml", "[budget\n")
    error = load_error(write(tmp_path, "child.toml", 'extends = "base.toml"\n'))
    assert error.file == str(base) and "line 1" in str(error)


def test_error_in_base_names_the_base(tmp_path):
    base = write(tmp_path, "base.toml", "[budget]\nmin = -5\n")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[diversity]\nmax_share_per_influencer = 1.5\n')
    error = load_error(child)
    assert error.file == str(base)
    assert error.problems == ["key budget.min: must be at least 0, got -5",
                              f"{child}: key diversity.max_share_per_influencer: must be at most 1, got 1.5"]


# --- bad inputs ------------------------------------------------------------------------

BAD = [
    ("budjet = 5", "budjet", "unknown key; did you mean 'budget'?"),
    ('[objective]\nmaximise = "reach"', "objective.maximise", "unknown key; did you mean 'maximize'?"),
    ('[budget]\nmax = "5000"', "budget.max", "must be a number, got '5000'"),
    ("[budget]\nmax = true", "budget.max", "must be a number, got true"),
    ("[targets]\nreach = [1, 2]", "targets.reach", "must be a number"),
    ("[budget]\nmax = nan", "budget.max", "must be a finite number"),
    ("budget = 5", "budget", "must be a table"),
    ('[diversity]\nmin_influencers = "5"', "diversity.min_influencers", "must be a whole number"),
    ("[diversity]\nmin_influencers = 2.5", "diversity.min_influencers", "must be a whole number, got 2.5"),
    ("[budget]\nmax = -1", "budget.max", "must be at least 0, got -1"),
    ("[budget]\nmin = 60000\nmax = 50000", "budget.max", "must be at least min (60000), got 50000"),
    ("[diversity]\nmin_influencers = 9\nmax_influencers = 3", "diversity.max_influencers", "at least min_influencers"),
    ("[filters]\nmin_followers = 10\nmax_followers = 1", "filters.max_followers", "at least min_followers"),
    ("[limits.tier.micro]\nmin_share = 0.5\nmax_share = 0.2", "limits.tier.micro.max_share", "at least min_share"),
    ("[limits.niche.food]\nmin_count = 5\nmax_count = 2", "limits.niche.food.max_count", "at least min_count"),
    ("[limits.tier.mega]\nmax_share = 1.5", "limits.tier.mega.max_share", "must be at most 1, got 1.5"),
    ("[limits.tier.mega]\nmin_share = -0.1", "limits.tier.mega.min_share", "must be at least 0"),
    ("[limits.tier.mega]\nmax_count = -1", "limits.tier.mega.max_count", "must be at least 0"),
    ("[diversity]\nmax_share_per_influencer = 1.5", "diversity.max_share_per_influencer", "must be at most 1, got 1.5"),
    ("[diversity]\nmax_share_per_influencer = 0", "diversity.max_share_per_influencer", "greater than 0"),
    ("[filters]\nmin_authenticity = 1.2", "filters.min_authenticity", "must be at most 1"),
    ("[filters]\nplatforms = 'tiktok'", "filters.platforms", "must be an array"),
    ("[solver]\ngap = 1", "solver.gap", "must be less than 1"),
    ("[solver]\ntime_limit = 0", "solver.time_limit", "must be greater than 0"),
    ('[solver]\nname = "gurobi"', "solver.name", "must be 'highs' or 'cbc', got 'gurobi'"),
    ('[objective]\nmaximize = "reech"', "objective.maximize", "did you mean 'reach'?"),
    ('[objective]\nmaximize = "reach"\nminimize = "cost"', "objective.minimize", "not both"),
    ('[objective]\nmaximize = "targeted_reach"\nsegment_weights = { f = -1 }', "objective.segment_weights.f",
     "must be at least 0"),
    ("[limits.followers.big]\nmax_share = 0.5", "limits.followers",
     "unknown key; expected 'tier', 'platform', 'niche' or 'country'"),
    ("[diversity]\nmin_distinct = { nich = 2 }", "diversity.min_distinct.nich", "did you mean 'niche'?"),
    ("[limits.platform.TikTok]\nmax_count = 1\n[limits.platform.tiktok]\nmax_count = 2", "limits.platform",
     "case-insensitive"),
    ('[selection]\ninclude = ["c1", "c2"]\nexclude = ["c1"]', "selection.exclude", "'c1' also in include"),
    ("[selection]\ninclude = [17]", "selection.include.0", "must be a string, got 17"),
    ("[coverage.f18_24]\nmin_rech = 5", "coverage.f18_24.min_rech", "did you mean 'min_reach'?"),
    ("[coverage.f18_24]", "coverage.f18_24.min_reach", "is required"),
    ("[tiers]", "tiers", "at least one tier"),
    ("[tiers]\nnano = 0\nmicro = 0", "tiers.micro", "bounds must be distinct"),
    ("name = 5", "name", "must be a string, got 5"),
    ("extends = 5", "extends", "must be a string"),
    ("catalog = 5", "catalog", "must be a path"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), BAD, ids=[f"{key}-{i}" for i, (_, key, _) in enumerate(BAD)])
def test_bad_input(tmp_path, text, key, fragment):
    path = write(tmp_path, "bad.toml", text + "\n")
    error = load_error(path)
    assert error.file == str(path)
    assert f"{path}: key {key}: " in str(error)
    assert fragment in str(error)


def test_several_problems_one_error(tmp_path):
    error = load_error(write(tmp_path, "bad.toml", "[budget]\nmax = -1\n[solver]\ngap = 2\n"))
    assert len(error.problems) == 2


@pytest.mark.parametrize(("content", "fragment"), [
    (b'name = "x"\n[budget\nmax = 1\n', "TOML syntax error"),
    (b'name = "x"\nname = "y"\n', "line 2"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b'name = "caf\xe9"\n', "not UTF-8"),
])
def test_unreadable_file(tmp_path, content, fragment):
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    error = load_error(path)
    assert error.file == str(path) and fragment in str(error)


def test_syntax_error_reports_line_and_column(tmp_path):
    error = load_error(write(tmp_path, "s.toml", 'name = "x"\n\n[budget\n'))
    assert "line 3" in str(error) and "column" in str(error)


def test_missing_file_and_directory(tmp_path):
    assert str(tmp_path / "none.toml") in str(load_error(tmp_path / "none.toml"))
    assert load_error(tmp_path).file == str(tmp_path)


def test_from_dict_rejects_non_tables():
    with pytest.raises(ScenarioError, match="table"):
        Scenario.from_dict(["budget"])


# --- override, hash, schema ------------------------------------------------------------

def test_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "sub/s.toml", 'catalog = "c.csv"\n[budget]\nmax = 100\nmin = 5\n')
    s = Scenario.load(path)
    t = s.override({"budget.max": 20000, "solver.name": "cbc", "catalog": Path("other.csv"), "targets.reach": 9})
    assert (t.budget.max, t.budget.min, t.solver.name, t.targets.reach) == (20000, 5, "cbc", 9)
    assert t.catalog == tmp_path / "other.csv"
    assert (t.path, t.key_file("budget.max"), t.key_file("budget.min")) == (path, COMMAND_LINE, path)
    assert (s.budget.max, s.solver.name, s.catalog) == (100, "highs", tmp_path / "sub" / "c.csv")


def test_override_of_a_directly_built_scenario():
    s = Scenario(budget=Budget(max=5)).override({"budget.min": 1})
    assert (s.budget.max, s.budget.min, s.key_file("budget.min")) == (5, 1, COMMAND_LINE)


def test_key_file_of_a_table_entry(tmp_path):
    base = write(tmp_path, "base.toml", "[coverage.f18_24]\nmin_reach = 5\n")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[coverage.m25]\nmin_reach = 1\n')
    s = Scenario.load(child)
    assert (s.key_file("coverage.f18_24"), s.key_file("coverage.m25"), s.key_file("nothing")) == (base, child, child)


def test_override_names_a_platform_in_any_case_and_replaces_the_files_entry(tmp_path):
    s = Scenario.load(write(tmp_path, "s.toml", "[limits.platform.TikTok]\nmax_share = 0.5\n"
                                                "[prices]\nplatform.TikTok = 1.2\nplatform.YouTube = 2\n"))
    for key in ("limits.platform.tiktok.max_share", "limits.platform.TIKTOK.max_share"):
        assert s.override({key: 0.3}).limits == {"platform": {"tiktok": s.limits["platform"]["tiktok"].model_copy(
            update={"max_share": 0.3})}}
    assert s.override({"prices.platform.youtube": 3, "prices.platform.Instagram": 0.5}).prices == {
        "platform": {"tiktok": 1.2, "youtube": 3, "instagram": 0.5}}


def test_override_objective_keeps_default_rules():
    assert Scenario.from_dict({}).override({"objective.minimize": "cost"}).objective.metric == "cost"


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"budget.max": 1}, "key budget.max: must be at least min (5), got 1"),
    ({"solver.name": "glpk"}, "key solver.name: must be 'highs' or 'cbc'"),
    ({"budget.maxx": 1}, "key budget.maxx: unknown key; did you mean 'max'?"),
    ({"budget.max.x": 1}, "key budget.max.x: budget.max is not a table"),
])
def test_override_errors_name_the_command_line(tmp_path, changes, fragment):
    s = Scenario.load(write(tmp_path, "s.toml", "[budget]\nmax = 100\nmin = 5\n"))
    with pytest.raises(ScenarioError) as caught:
        s.override(changes)
    assert caught.value.file == COMMAND_LINE and fragment in str(caught.value)


def test_sha256(tmp_path):
    text = 'catalog = "c.csv"\n[budget]\nmax = 100\n'
    first = Scenario.load(write(tmp_path, "a/s.toml", text))
    moved = Scenario.load(write(tmp_path, "b/s.toml", text))
    assert len(first.sha256) == 64 and first.sha256 == Scenario.load(first.path).sha256 == moved.sha256
    assert first.sha256 != first.override({"budget.max": 101}).sha256
    assert first.sha256 != Scenario.load(write(tmp_path, "a/s.toml", text + "min = 1\n")).sha256


def test_json_schema():
    schema = Scenario.json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/") and schema["title"]
    assert set(schema["properties"]) == set(Scenario.model_fields)
    assert schema["additionalProperties"] is False
    assert all(table["additionalProperties"] is False for table in schema["$defs"].values())
    assert all(prop.get("description") for prop in schema["properties"].values())


# --- fuzzing ---------------------------------------------------------------------------

KEYS = sorted({
    *Scenario.model_fields, "maximize", "minimize", "segment_weights", "max", "min", "engagements", "reach",
    "min_reach", "max_share_per_influencer", "min_influencers", "max_influencers", "min_distinct",
    "min_share", "max_share", "min_count", "max_count", "platforms", "niches", "countries", "min_authenticity",
    "min_followers", "max_followers", "min_engagement_rate", "include", "exclude", "time_limit", "gap",
    "tier", "platform", "niche", "country", "mega", "f18_24", "highs", "cost",
})
LEAVES = (st.none() | st.booleans() | st.integers(-10**7, 10**7) | st.floats() | st.text(max_size=8)
          | st.sampled_from(["engagements", "reach", "targeted_reach", "cost", "highs", "cbc", "5000"]))
KEY_NAMES = st.sampled_from(KEYS) | st.text(max_size=6)
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY_NAMES, inner, max_size=4),
                      max_leaves=16)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(KEY_NAMES, VALUES, max_size=6))
def test_from_dict_never_fails_otherwise(tmp_path_factory, data):
    folder = tmp_path_factory.getbasetemp() / "fuzz"
    try:
        assert isinstance(Scenario.from_dict(data, folder / "fuzz.toml"), Scenario)
    except ScenarioError as error:
        assert str(error)
