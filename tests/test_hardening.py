"""Bad input, end to end: every class of mistake a planner makes in a catalog or a scenario file
is an InfluError that names the file and the key, row or column, never a traceback; BOM and
CRLF files work; a tiny time limit never hangs; fuzzed scenarios give a Result or an InfluError.

The same table runs through the Python API (Scenario.load -> Catalog.load -> solve) and, when
the command line is there, through `influmix solve` (exit 1, nothing written to --output).
"""

from __future__ import annotations

import codecs
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import make_catalog, make_scenario, random_frame
from models import Catalog, InfluError, NoPlanError, Result, Scenario
from models.synthetic import write_catalog
from optimizer import solve
from optimizer.verify import violations

pytestmark = pytest.mark.timing      # runs alone: see the Makefile's test target

HEADER = "id,platform,followers,engagement_rate,cost_per_post,niche,aud_f18_24"
ROWS = ["c1,instagram,10000,0.05,300,beauty,0.5",
        "c2,instagram,40000,0.03,500,food,0.2",
        "c3,tiktok,20000,0.03,250,tech,0.1",
        "c4,youtube,8000,0.06,400,beauty,0.3"]
CATALOG = "\n".join([HEADER, *ROWS]) + "\n"
SCENARIO = 'name = "hardening"\ncatalog = "catalog.csv"\n[budget]\nmax = 1000\n'


def catalog_with(*, header: str = HEADER, rows: dict[int, str] | None = None, extra: list[str] = ()) -> str:
    """The good catalog with some rows (by index) replaced and rows added."""
    lines = [rows.get(k, row) if rows else row for k, row in enumerate(ROWS)] + list(extra)
    return "\n".join([header, *lines]) + "\n"


def scenario_with(text: str, *, budget: bool = True) -> str:
    """The good scenario's header with more TOML after it."""
    head = 'name = "hardening"\ncatalog = "catalog.csv"\n'
    return head + ("[budget]\nmax = 1000\n" if budget else "") + text + "\n"


@dataclass(frozen=True)
class Case:
    """Files to write (name -> text or bytes; None: do not write), the file the message must
    name, and the fragments (key, row, column, words) it must hold."""

    id: str
    culprit: str
    fragments: tuple[str, ...]
    files: dict[str, str | bytes | None] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        files = {"catalog.csv": CATALOG, "scenario.toml": SCENARIO, **self.files}
        for name, content in files.items():
            if content is None:
                continue
            path = folder / name
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return folder / "scenario.toml"


def catalog_case(id_: str, content: str | bytes | None, *fragments: str, name: str = "catalog.csv") -> Case:
    files = {"catalog.csv": content} if name == "catalog.csv" else {
        name: content, "scenario.toml": SCENARIO.replace("catalog.csv", name)}
    return Case(id_, name, fragments, files)


def scenario_case(id_: str, text: str | bytes, *fragments: str, budget: bool = True) -> Case:
    content = text if isinstance(text, bytes) else scenario_with(text, budget=budget)
    return Case(id_, "scenario.toml", fragments, {"scenario.toml": content})


CASES = [
    # -- the catalog: columns
    catalog_case("catalog-missing-column", catalog_with(header=HEADER.replace("engagement_rate", "rate")),
                 "missing required column", "engagement_rate"),
    catalog_case("catalog-misspelt-column", catalog_with(header=HEADER.replace("cost_per_post", "cost_per_pst")),
                 "column 'cost_per_pst' is unknown; did you mean 'cost_per_post'?"),
    catalog_case("catalog-misspelt-segment", catalog_with(header=HEADER.replace("aud_f18_24", "aud-f18_24")),
                 "column 'aud-f18_24' is unknown; did you mean 'aud_f18_24'?"),
    # -- the catalog: cells
    catalog_case("catalog-wrong-type", catalog_with(rows={1: "c2,instagram,lots,0.03,500,food,0.2"}),
                 "row 2 (id 'c2'), column followers", "'lots' is not a number"),
    catalog_case("catalog-rate-above-100-percent", catalog_with(rows={0: "c1,instagram,10000,340,300,beauty,0.5"}),
                 "row 1 (id 'c1'), column engagement_rate", "340 is above 100 percent"),
    catalog_case("catalog-negative-cost", catalog_with(rows={2: "c3,tiktok,20000,0.03,-250,tech,0.1"}),
                 "row 3 (id 'c3'), column cost_per_post", "negative"),
    catalog_case("catalog-nan", catalog_with(rows={3: "c4,youtube,8000,0.06,NaN,beauty,0.3"}),
                 "row 4 (id 'c4'), column cost_per_post", "not a finite number"),
    catalog_case("catalog-duplicate-id", catalog_with(extra=["c2,tiktok,1000,0.02,50,food,0.1"]),
                 "row 5 (id 'c2'), column id", "duplicate id 'c2', first in row 2"),
    catalog_case("catalog-share-above-one", catalog_with(rows={0: "c1,instagram,10000,0.05,300,beauty,150"}),
                 "row 1 (id 'c1'), column aud_f18_24", "above 100 percent"),
    catalog_case("catalog-shares-sum-above-one",
                 "\n".join([HEADER + ",aud_m18_24", *(row + ",0.1" for row in ROWS),
                            "c5,instagram,1000,0.05,30,food,0.6,0.5"]),
                 "row 5 (id 'c5'), columns aud_*", "sum to 1.1"),
    # -- the catalog: files
    catalog_case("catalog-no-rows", HEADER + "\n", "the catalog has no rows"),
    catalog_case("catalog-empty-file", b"", "the file is empty"),
    catalog_case("catalog-binary", b"id,platform\x00\x01\x02\xff", "binary"),
    catalog_case("catalog-latin-1", (HEADER + "\nc1,instagram,10000,0.05,300,caf\xe9,0.5\n").encode("latin-1"),
                 "line 2: not UTF-8 text"),
    catalog_case("catalog-missing-file", None, "file not found"),
    catalog_case("catalog-unsupported-type", b"PK\x03\x04", "unsupported file type '.xls'", name="catalog.xls"),
    catalog_case("catalog-damaged-workbook", b"PK\x03\x04", "cannot read the workbook", name="catalog.xlsx"),
    # -- the scenario: keys and types
    scenario_case("scenario-misspelt-key", "[budget]\nmaxx = 1000", "key budget.maxx", "did you mean 'max'?",
                  budget=False),
    scenario_case("scenario-unknown-table", "[budjet]\nmax = 1000", "key budjet", "did you mean 'budget'?"),
    scenario_case("scenario-wrong-type", '[budget]\nmax = "1000"', "key budget.max", "must be a number, got '1000'",
                  budget=False),
    scenario_case("scenario-count-not-whole", "[diversity]\nmin_influencers = 2.5", "key diversity.min_influencers",
                  "must be a whole number"),
    scenario_case("scenario-share-as-percentage", "[limits.tier.micro]\nmin_share = 40",
                  "key limits.tier.micro.min_share", "must be at most 1, got 40"),
    scenario_case("scenario-negative", "[budget]\nmax = -100", "key budget.max", "must be at least 0",
                  budget=False),
    scenario_case("scenario-nan", "[budget]\nmax = nan", "key budget.max", "finite number", budget=False),
    scenario_case("scenario-infinite", "[targets]\nreach = inf", "key targets.reach", "finite number"),
    # -- the scenario against the catalog
    scenario_case("scenario-unknown-segment", "[coverage.m65]\nmin_reach = 100", "key coverage.m65",
                  "segment 'm65' is not in the catalog"),
    scenario_case("scenario-unknown-limit-column", "[limits.colour.red]\nmax_share = 0.5", "key limits.colour"),
    scenario_case("scenario-unknown-limit-value", "[limits.tier.giga]\nmax_share = 0.5", "key limits.tier.giga",
                  "appears nowhere in column tier"),
    scenario_case("scenario-unknown-platform-value", "[limits.platform.myspace]\nmax_count = 1",
                  "key limits.platform.myspace"),
    scenario_case("scenario-include-unknown-id", '[selection]\ninclude = ["ghost"]', "key selection.include",
                  "ghost"),
    scenario_case("scenario-include-and-exclude", '[selection]\ninclude = ["c1"]\nexclude = ["c1"]',
                  "key selection.exclude", "also in include"),
    scenario_case("scenario-maximize-without-budget", "", "key budget.max", "needs budget.max", budget=False),
    # -- the scenario: bounds in order and within [0, 1]
    scenario_case("scenario-budget-min-above-max", "[budget]\nmin = 2000\nmax = 1000", "key budget.max",
                  "must be at least min", budget=False),
    scenario_case("scenario-influencers-min-above-max", "[diversity]\nmin_influencers = 5\nmax_influencers = 2",
                  "key diversity.max_influencers", "at least min_influencers"),
    scenario_case("scenario-count-min-above-max", "[limits.niche.food]\nmin_count = 3\nmax_count = 1",
                  "key limits.niche.food.max_count", "at least min_count"),
    scenario_case("scenario-share-above-one", "[diversity]\nmax_share_per_influencer = 1.5",
                  "key diversity.max_share_per_influencer", "must be at most 1"),
    scenario_case("scenario-share-below-zero", "[limits.tier.micro]\nmin_share = -0.1",
                  "key limits.tier.micro.min_share", "must be at least 0"),
    scenario_case("scenario-share-min-above-max", "[limits.tier.micro]\nmin_share = 0.6\nmax_share = 0.2",
                  "key limits.tier.micro.max_share", "at least min_share"),
    # -- the scenario: files
    Case("scenario-extends-cycle", "base.toml", ("key extends", "extends cycle"), {
        "scenario.toml": 'extends = "base.toml"\n' + SCENARIO, "base.toml": 'extends = "scenario.toml"\n'}),
    scenario_case("scenario-binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    scenario_case("scenario-latin-1", 'name = "caf\xe9"\n'.encode("latin-1"), "not UTF-8"),
    scenario_case("scenario-syntax", b'catalog = "catalog.csv"\n[budget\nmax = 1\n', "TOML syntax error", "line 2"),
    Case("scenario-missing-file", "scenario.toml", ("cannot read the file",), {"scenario.toml": None}),
]


def run_api(scenario_path: Path) -> Result:
    scenario = Scenario.load(scenario_path)
    return solve(Catalog.load(scenario.catalog), scenario)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_through_the_api(tmp_path, case):
    path = case.write(tmp_path)
    with pytest.raises(InfluError) as caught:
        run_api(path)
    message = str(caught.value)
    assert str(tmp_path / case.culprit) in message, message
    for fragment in case.fragments:
        assert fragment in message, message
    assert "Traceback" not in message


# --- BOM and CRLF files work end to end ------------------------------------------------------------

def bom_crlf(text: str) -> bytes:
    return codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8")


def test_bom_and_crlf_files_solve_like_plain_ones(tmp_path):
    plain, windows = tmp_path / "plain", tmp_path / "windows"
    plain.mkdir(), windows.mkdir()
    Case("plain", "", ()).write(plain)
    Case("windows", "", (), {"catalog.csv": bom_crlf(CATALOG), "scenario.toml": bom_crlf(SCENARIO)}).write(windows)
    expected = run_api(plain / "scenario.toml")
    result = run_api(windows / "scenario.toml")
    # budget 1,000: c2 + c3 = 1,200 + 600 = 1,800 engagements for 750 (c1 + c2 1,700; c1 + c3 + c4 1,580)
    assert result.status == expected.status == "optimal"
    assert result.objective.value == pytest.approx(expected.objective.value) == pytest.approx(1800)
    assert list(result.allocation["id"]) == list(expected.allocation["id"])
    assert result.scenario.name == "hardening"


# --- the same table through the command line ---------------------------------------------------------

def cli_app():
    """The typer app when cli.py has a solve command (a colleague writes it), else None."""
    try:
        from cli import app
    except Exception:
        return None
    names = {command.name or getattr(command.callback, "__name__", "") for command in app.registered_commands}
    return app if "solve" in names else None


needs_cli = pytest.mark.skipif(cli_app() is None, reason="cli.py has no solve command yet")


def invoke(args: list[str]):
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli_app(), args)
    output = result.output
    try:
        output += result.stderr if result.stderr not in output else ""
    except (ValueError, AttributeError):
        pass
    return result, output


@needs_cli
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_through_the_command_line(tmp_path, case):
    path = case.write(tmp_path)
    out = tmp_path / "plan.json"
    result, output = invoke(["solve", str(path), "--format", "json", "--output", str(out)])
    assert result.exit_code == 1, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(tmp_path / case.culprit) in output, output
    for fragment in case.fragments:
        assert fragment in output, output
    assert "Traceback" not in output
    assert not out.exists()


@needs_cli
def test_bom_and_crlf_files_solve_through_the_command_line(tmp_path):
    path = Case("windows", "", (), {"catalog.csv": bom_crlf(CATALOG), "scenario.toml": bom_crlf(SCENARIO)}).write(
        tmp_path)
    out = tmp_path / "plan.json"
    result, output = invoke(["solve", str(path), "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, output
    assert out.exists() and '"status": "optimal"' in out.read_text()


# --- time limits: a plan with its gap, or NoPlanError; never a hang ------------------------------------

HARD = {"budget": {"max": 25_000},
        "coverage": {"f18_24": {"min_reach": 200_000}, "m25_34": {"min_reach": 100_000}},
        "diversity": {"max_share_per_influencer": 0.04, "min_distinct": {"niche": 8}},
        "limits": {"tier": {"micro": {"min_share": 0.35}, "nano": {"min_share": 0.15}},
                   "platform": {"tiktok": {"max_share": 0.3}}}}


def solve_within(catalog, spec, method, seconds):
    """Solve, timing it: (Result or NoPlanError, elapsed seconds)."""
    started = time.perf_counter()
    try:
        outcome = solve(catalog, make_scenario(spec), method=method)
    except NoPlanError as error:
        outcome = error
    return outcome, time.perf_counter() - started


def check_stopped(catalog, spec, outcome) -> None:
    if isinstance(outcome, NoPlanError):
        assert "no plan found within the time limit" in str(outcome)
        return
    assert outcome.status in ("time_limit", "optimal")
    objective = outcome.objective
    assert objective.value is not None and objective.bound is not None and objective.gap is not None
    assert objective.bound >= objective.value * (1 - 1e-9) and objective.gap >= 0 and math.isfinite(objective.gap)
    posts = np.zeros(catalog.rows, dtype=np.int64)
    row = {i: k for k, i in enumerate(catalog.frame["id"])}
    for i, p in zip(outcome.allocation["id"], outcome.allocation["posts"]):
        posts[row[i]] = p
    assert violations(catalog, make_scenario(spec), posts) == []


@pytest.mark.parametrize("method", ["fast", "plain"])
def test_one_second_on_a_hard_instance_gives_the_best_plan_and_its_gap(hard_frame, method):
    catalog = make_catalog(hard_frame)
    spec = dict(HARD, solver={"time_limit": 1.0, "gap": 0.0})
    outcome, elapsed = solve_within(catalog, spec, method, 1.0)
    assert elapsed < 20
    assert isinstance(outcome, Result) and outcome.status == "time_limit", outcome
    assert outcome.objective.gap > 0
    check_stopped(catalog, spec, outcome)


@pytest.mark.parametrize("method", ["fast", "plain"])
@pytest.mark.parametrize("frame", ["hard_frame", "big_frame"])
def test_a_tiny_time_limit_gives_a_plan_or_no_plan_error(request, frame, method):
    # big_frame has 2,000 creators: the fast path prices with LP duals first (above its direct-solve size)
    catalog = make_catalog(request.getfixturevalue(frame))
    spec = dict(HARD, solver={"time_limit": 0.01, "gap": 0.0})
    outcome, elapsed = solve_within(catalog, spec, method, 0.01)
    assert elapsed < 20
    check_stopped(catalog, spec, outcome)


def test_the_diagnosis_keeps_to_the_time_limit(big_frame):
    # a coverage floor far above what $20,000 reaches: infeasible; the diagnosis has the same second
    catalog = make_catalog(big_frame)
    spec = {"budget": {"max": 20_000}, "coverage": {"f18_24": {"min_reach": 50_000_000}},
            "diversity": {"max_share_per_influencer": 0.1}, "solver": {"time_limit": 1.0}}
    outcome, elapsed = solve_within(catalog, spec, "plain", 1.0)
    assert elapsed < 20
    assert isinstance(outcome, Result) and outcome.status == "infeasible" and outcome.diagnosis


@needs_cli
def test_no_plan_in_time_exits_4_through_the_command_line(tmp_path, hard_frame):
    write_catalog(hard_frame, tmp_path / "catalog.csv")
    (tmp_path / "scenario.toml").write_text('catalog = "catalog.csv"\n[budget]\nmax = 25000\n' + """
[coverage.f18_24]
min_reach = 200000
[diversity]
max_share_per_influencer = 0.04
min_distinct = { niche = 8 }
[limits.tier.micro]
min_share = 0.35
[solver]
gap = 0
""")
    out = tmp_path / "plan.json"
    started = time.perf_counter()
    result, output = invoke(["solve", str(tmp_path / "scenario.toml"), "--time-limit", "0.01", "--format", "json",
                             "--output", str(out)])
    assert time.perf_counter() - started < 30
    assert "Traceback" not in output
    assert result.exit_code in (0, 4), output
    if result.exit_code == 4:
        assert "no plan found within the time limit" in output and not out.exists()
    else:
        assert out.exists()


# --- fuzzing: a Result or an InfluError, never anything else --------------------------------------------

GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=4), st.lists(st.integers(-1, 2), max_size=2), st.just({}))
AMOUNT = st.one_of(st.integers(0, 50_000), st.floats(0, 5e6, allow_nan=False))
SHARE = st.floats(0, 1)
COUNT = st.integers(0, 8)
IDS = st.lists(st.sampled_from(["i0", "i1", "i2", "i3", "ghost"]), max_size=3)
KEYS = {
    "budget.max": AMOUNT, "budget.min": AMOUNT, "targets.engagements": AMOUNT, "targets.reach": AMOUNT,
    "coverage.s1.min_reach": AMOUNT, "coverage.s7.min_reach": AMOUNT,
    "diversity.max_share_per_influencer": SHARE, "diversity.min_influencers": COUNT,
    "diversity.max_influencers": COUNT, "diversity.min_distinct.niche": COUNT, "diversity.min_distinct.platform": COUNT,
    "limits.tier.micro.min_share": SHARE, "limits.tier.nano.max_share": SHARE,
    "limits.platform.tiktok.min_count": COUNT, "limits.niche.food.max_count": COUNT,
    "limits.niche.knitting.min_count": COUNT, "limits.country.US.max_share": SHARE,
    "filters.platforms": st.lists(st.sampled_from(["instagram", "TikTok", "vine"]), max_size=2),
    "filters.niches": st.lists(st.sampled_from(["food", "tech", "yoga"]), max_size=2),
    "filters.min_followers": AMOUNT, "filters.max_followers": AMOUNT, "filters.min_engagement_rate": SHARE,
    "filters.min_authenticity": SHARE, "selection.include": IDS, "selection.exclude": IDS,
    "objective.maximize": st.sampled_from(["engagements", "reach", "targeted_reach", "reech"]),
    "objective.minimize": st.just("cost"), "objective.segment_weights.s1": AMOUNT,
    "tiers.small": AMOUNT, "tiers.big": AMOUNT, "solver.gap": st.floats(0, 0.5),
    "solver.time_limit": st.floats(0.5, 5), "budjet.max": AMOUNT, "diversity.max_share": SHARE,
    # part two: audience, dropouts, outcome ranges and risk, booking rules, re-planning
    "targets.impressions": AMOUNT, "targets.max_cpe": st.floats(0.001, 100), "diversity.max_posts_per_influencer":
    st.integers(1, 4), "coverage.s1+s2.min_reach": AMOUNT, "objective.risk.cvar": st.floats(0.01, 0.99),
    "objective.risk.weight": SHARE, "objective.risk.runs": st.integers(1, 30), "simulation.runs": st.integers(0, 300),
    "simulation.engagement_sd": st.floats(0, 2), "simulation.delivery": st.floats(0.01, 1),
    "audience.population": st.floats(1, 1e8), "audience.segments.s1": st.floats(1, 1e7),
    "audience.view_rate.instagram": st.floats(0.01, 1), "robustness.dropouts": st.integers(0, 3),
    "prices.platform.tiktok": st.floats(0.1, 5), "prices.niche.food": st.floats(0.1, 5),
    "filters.exclude_niches": st.lists(st.sampled_from(["food", "tech"]), max_size=2),
    "replan.max_changes": COUNT, "replan.keep": IDS,
}


@st.composite
def scenario_dicts(draw) -> dict:
    """A scenario dict with a few keys set, each to a sensible value or to garbage."""
    data: dict = {"budget": {"max": draw(AMOUNT)}}
    if draw(st.booleans()):     # a floor, often out of reach: infeasible scenarios get diagnosed
        data["diversity"] = {"min_influencers": draw(COUNT)}
    for key in draw(st.lists(st.sampled_from(sorted(KEYS)), max_size=8, unique=True)):
        value = draw(st.one_of(KEYS[key], GARBAGE) if draw(st.integers(0, 7)) == 0 else KEYS[key])
        node = data
        *tables, leaf = key.split(".")
        for table in tables:
            node = node.setdefault(table, {}) if isinstance(node.get(table, {}), dict) else {}
        node[leaf] = value
    return data


@pytest.mark.filterwarnings("ignore:.*selection.exclude:UserWarning")
@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), data=scenario_dicts())
def test_fuzzed_scenarios_give_a_result_or_an_influerror(seed, n, data):
    frame = random_frame(np.random.default_rng(seed), n, max_posts_high=2)
    try:
        result = solve(make_catalog(frame), make_scenario(data))
    except InfluError as error:
        assert str(error) and "Traceback" not in str(error)
        return
    assert result.status in ("optimal", "time_limit", "infeasible")
    if result.status == "infeasible":
        assert result.diagnosis and all(set(asdict(item)) == {"constraint", "asked", "achievable", "message"}
                                        for item in result.diagnosis)
    else:
        assert result.diagnosis == []
    result.to_json()
