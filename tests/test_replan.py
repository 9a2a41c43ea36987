"""Re-planning against a previous plan (SPEC section 11): `solve --previous PLAN`, [replan].

The change count is recomputed here from the ids alone (added + dropped against the previous
plan); the optimum is checked against exhaustive enumeration (tests/reference.py judges every
other rule) on tiny catalogs, on the plain path and with the fast reduction forced.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from instances import ENUMERATION_LIMIT, fit_enumeration, influencer, make_catalog, make_scenario, random_frame, \
    random_scenario
from models.errors import InfluError, ScenarioError
from models.plans import read_plan
from optimizer import solve
from optimizer.fast import solve_fast
from optimizer.problem import prepare
from optimizer.replan import with_previous
from reference import Reference, booked, close, constraint
from reports import render

runner = CliRunner()

# E = followers * rate: a 500 for $300, b 450 for $300, c 1,500 for $2,000, d 160 for $100 (2 posts),
# e 200 for $400. With $800 the best plan is a, b and two posts of d (1,270).
ROWS = [influencer("a", 10_000, 0.05, 300, niche="beauty"), influencer("b", 9_000, 0.05, 300, niche="food"),
        influencer("c", 100_000, 0.015, 2000, niche="tech"), influencer("d", 4_000, 0.04, 100, max_posts=2),
        influencer("e", 20_000, 0.01, 400, niche="food")]
SMALL = {"objective": {"maximize": "engagements"}, "budget": {"max": 800}, "solver": {"gap": 1e-9}}


def changes_of(previous: dict[str, int], plan: dict[str, int]) -> int:
    """Creators added or dropped, counted from the ids alone."""
    before, after = set(previous), {i for i, posts in plan.items() if posts > 0}
    return len(after - before) + len(before - after)


def solved(spec: dict, previous, rows=ROWS, **options):
    return solve(make_catalog(rows), make_scenario(spec), previous=previous, **options)


# --- the model --------------------------------------------------------------------------------

def test_paper_example_one_change():
    """Previous plan e alone; with one change allowed the best keeps e and adds a (500 + 200 = 700 for $700):
    a, b and two d would be 4 changes; keeping e leaves $400: a, or d twice (320)."""
    result = solved({**SMALL, "replan": {"max_changes": 1}}, {"e": 1})
    assert booked(result) == {"a": 1, "e": 1}
    assert close(result.objective.value, 700)
    assert result.changes.added == ["a"] and result.changes.dropped == []
    row = constraint(result, "replan.max_changes")
    assert (row.lhs, row.rhs, row.binding) == (1, 1, True)


def test_zero_changes_keeps_the_booking_and_moves_posts():
    """max_changes 0: exactly the previous creators, their post counts free (d from 1 to 2 posts)."""
    result = solved({**SMALL, "replan": {"max_changes": 0}}, {"d": 1, "e": 1})
    assert booked(result) == {"d": 2, "e": 1}
    assert result.changes.added == [] and result.changes.dropped == []
    assert [(p.id, p.before, p.after) for p in result.changes.posts_changed] == [("d", 1, 2)]


def test_ineligible_previous_creator_counts_as_dropped():
    """b declined (excluded) and z left the catalog: both dropped, 2 changes spent before any choice."""
    spec = {**SMALL, "selection": {"exclude": ["b"]}, "replan": {"max_changes": 3}}
    with pytest.warns(UserWarning, match="ids not in the catalog .counted as dropped.: z"):
        result = solved(spec, {"a": 1, "b": 1, "z": 2})
    assert set(result.changes.dropped) == {"b", "z"}
    assert changes_of({"a": 1, "b": 1, "z": 2}, booked(result)) == len(result.changes.added) + 2 <= 3
    assert constraint(result, "replan.max_changes").lhs == changes_of({"a": 1, "b": 1, "z": 2}, booked(result))


def test_keep_stays_booked():
    """From a and e with two changes the best drops e for b (a, b: 950); keep e forbids that:
    a, e and one post of d (860)."""
    spec = {**SMALL, "replan": {"max_changes": 2}}
    assert booked(solved(spec, {"a": 1, "e": 1})) == {"a": 1, "b": 1}
    kept = solved({**spec, "replan": {"max_changes": 2, "keep": ["e"]}}, {"a": 1, "e": 1})
    assert booked(kept) == {"a": 1, "d": 1, "e": 1} and close(kept.objective.value, 860)
    assert constraint(kept, "replan.keep").lhs == 1


def test_previous_without_replan_reports_changes_only():
    unrestricted = solved(SMALL, None)
    result = solved(SMALL, {"c": 1})
    assert booked(result) == booked(unrestricted)
    assert result.changes.dropped == ["c"] and sorted(result.changes.added) == ["a", "b", "d"]
    assert unrestricted.changes is None and unrestricted.to_dict()["changes"] is None
    assert result.to_dict()["changes"]["posts_changed"] == []


def test_infeasible_max_changes_is_diagnosed_in_changes():
    """Previous a, b; a declined (excluded): dropping it is a change that max_changes 0 forbids. The
    diagnosis reads the closest value in changes (1: drop a, keep b), not in the row's terms."""
    spec = {**SMALL, "selection": {"exclude": ["a"]}, "replan": {"max_changes": 0}}
    result = solved(spec, {"a": 1, "b": 1})
    assert result.status == "infeasible"
    assert [(e.constraint, e.asked, e.achievable) for e in result.diagnosis] == [("replan.max_changes", 0, 1)]
    assert result.diagnosis[0].message == "replan.max_changes: asked at most 0, the other constraints need at least 1"
    assert result.changes is None


def test_replan_without_previous_warns():
    with pytest.warns(UserWarning, match=r"\[replan\] needs a previous plan"):
        result = solved({**SMALL, "replan": {"max_changes": 1}}, None)
    assert result.changes is None


# --- against independent counts and enumeration -----------------------------------------------

def every_plan(reference: Reference) -> np.ndarray:
    """Every post vector over the eligible rows (rows of posts per catalog row)."""
    cols = np.flatnonzero(reference.eligible)
    grid = np.array(np.meshgrid(*[np.arange(reference.max_posts[i] + 1) for i in cols], indexing="ij"))
    X = np.zeros((grid[0].size if len(cols) else 1, reference.n))
    if len(cols):                       # else the one empty plan
        X[:, cols] = grid.reshape(len(cols), -1).T
    return X


def random_instance(seed: int):
    """A tiny random scenario; the previous plan a random feasible plan of it (random ids when there
    is none); then the budget moves, sometimes a previous creator declines (excluded) or leaves the
    catalog, and max_changes is 0..3."""
    rng = np.random.default_rng([seed, 11])
    n = int(rng.integers(4, 9))
    frame = fit_enumeration(rng, random_frame(rng, n, max_posts_high=3))
    objective = str(rng.choice(["engagements", "reach", "targeted_reach", "cost"]))
    spec = random_scenario(rng, frame, objective, gap=1e-9)
    ids = frame["id"].to_numpy(object)
    reference = Reference(frame, spec)
    X = every_plan(reference) if reference.combinations() <= ENUMERATION_LIMIT else np.zeros((0, n))
    feasible = X[reference.feasible(X)] if len(X) else X
    if len(feasible):
        plan = feasible[rng.integers(len(feasible))]
        previous = {str(i): int(p) for i, p in zip(ids, plan) if p > 0}
    else:
        previous = {str(i): int(rng.integers(1, 3)) for i in rng.choice(ids, int(rng.integers(1, n)), replace=False)}
    if "budget" in spec and "max" in spec["budget"]:
        spec["budget"]["max"] = round(spec["budget"]["max"] * float(rng.uniform(0.7, 1.4)), 2)
        if spec["budget"].get("min", 0) > spec["budget"]["max"]:
            del spec["budget"]["min"]
    included = spec.get("selection", {}).get("include", [])
    if previous and rng.random() < 0.3 and (declined := [i for i in previous if i not in included]):
        spec.setdefault("selection", {}).setdefault("exclude", []).append(str(rng.choice(declined)))
    if rng.random() < 0.3:
        previous["gone"] = 1
    spec["replan"] = {"max_changes": int(rng.integers(0, 4))}
    return frame, spec, previous


@pytest.mark.parametrize("seed", range(24))
def test_replan_optimum_matches_enumeration(seed):
    frame, spec, previous = random_instance(seed)
    reference = Reference(frame, spec)
    if reference.combinations() > ENUMERATION_LIMIT:
        pytest.skip("too many post vectors to enumerate")
    X = every_plan(reference)
    ids = frame["id"].to_numpy(object)
    changes = np.array([changes_of(previous, dict(zip(ids, plan))) for plan in X])
    ok = reference.feasible(X) & (changes <= spec["replan"]["max_changes"])
    catalog, scenario = make_catalog(frame), make_scenario(spec)
    context = f"{spec}\nprevious {previous}\n{frame.to_string()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = solve(catalog, scenario, method="plain", previous=previous)
        problem = prepare(catalog, with_previous(catalog, scenario, previous))
    outcome = solve_fast(problem, direct_below=0, core_min=2)
    if not ok.any():
        assert result.status == "infeasible" and outcome.status == "infeasible", context
        return
    values = reference.objective(X[ok])
    best = float(values.min() if reference.minimize else values.max())
    assert result.status == "optimal", context
    plan = booked(result)
    assert changes_of(previous, plan) <= spec["replan"]["max_changes"], context
    assert result.changes.count == changes_of(previous, plan)
    assert close(float(reference.objective(np.array([[plan.get(i, 0) for i in ids]]))[0]), best, rel=1e-7), context
    fast_plan = np.zeros(len(frame))
    fast_plan[problem.positions] = outcome.posts
    assert outcome.status == "optimal", context
    assert reference.feasible(fast_plan[None, :])[0], context
    assert changes_of(previous, dict(zip(ids, fast_plan))) <= spec["replan"]["max_changes"], context
    assert close(float(reference.objective(fast_plan[None, :])[0]), best, rel=1e-7), context


@pytest.fixture(scope="module")
def mid_instance():
    """300 creators, a previous plan of the unrestricted optimum at another budget."""
    rng = np.random.default_rng(5)
    frame = random_frame(rng, 300, max_posts_high=4)
    spec = {"objective": {"maximize": "engagements"}, "budget": {"max": 20_000},
            "diversity": {"min_influencers": 5}, "solver": {"gap": 1e-6}}
    catalog = make_catalog(frame)
    before = solve(catalog, make_scenario({**spec, "budget": {"max": 30_000},
                                           "selection": {"exclude": list(frame["id"][:40])}}))
    return catalog, spec, booked(before)


@pytest.mark.parametrize("max_changes", [0, 2, 5])
def test_never_exceeds_max_changes_on_either_path(mid_instance, max_changes):
    catalog, spec, previous = mid_instance
    scenario = make_scenario({**spec, "replan": {"max_changes": max_changes}})
    values = []
    for method in ("plain", "fast"):
        result = solve(catalog, scenario, previous=previous, method=method)
        assert changes_of(previous, booked(result)) <= max_changes
        assert constraint(result, "replan.max_changes").lhs == changes_of(previous, booked(result))
        values.append(result.objective.value)
    forced = prepare(catalog, with_previous(catalog, scenario, previous))
    outcome = solve_fast(forced, direct_below=0, core_min=20)
    ids = catalog.frame["id"].to_numpy(object)[forced.positions]
    assert changes_of(previous, dict(zip(ids, outcome.posts))) <= max_changes
    values.append(float(forced.engagements @ outcome.posts))
    assert max(values) - min(values) <= 1e-5 * max(values)


def test_large_max_changes_equals_unrestricted(mid_instance):
    catalog, spec, previous = mid_instance
    free = solve(catalog, make_scenario(spec))
    result = solve(catalog, make_scenario({**spec, "replan": {"max_changes": 1000}}), previous=previous)
    assert close(result.objective.value, free.objective.value, rel=1e-6)
    assert not constraint(result, "replan.max_changes").binding


# --- previous plan files ----------------------------------------------------------------------

def test_json_and_csv_previous_plans(tmp_path):
    result = solved(SMALL, None)
    (tmp_path / "plan.json").write_text(result.to_json())
    (tmp_path / "plan.csv").write_text("id,posts\na,1\nb,0\nd,2\n")
    assert read_plan(tmp_path / "plan.json") == booked(result)
    assert read_plan(tmp_path / "plan.csv") == {"a": 1, "d": 2}
    spec = {**SMALL, "replan": {"max_changes": 0}}
    assert booked(solved(spec, tmp_path / "plan.csv")) == {"a": 1, "d": 2}
    assert booked(solved(spec, str(tmp_path / "plan.json"))) == booked(result)


def test_the_csv_of_solve_reads_back_as_the_plan_with_formula_like_ids(tmp_path):
    """`@handle` ids are written `'@handle` (formula-safe); read back they are the catalog's ids again."""
    rows = [{**row, "id": f"@{row['id']}" if k % 2 else f"-{row['id']}"} for k, row in enumerate(ROWS)]
    result = solved(SMALL, None, rows=rows)
    (tmp_path / "plan.csv").write_text(render(result, "csv"))
    assert "\n'@" in (tmp_path / "plan.csv").read_text()
    assert read_plan(tmp_path / "plan.csv") == booked(result)
    (tmp_path / "own.csv").write_text("id,posts\n'x,1\n'-5,1\n")   # quotes influmix did not add are kept
    assert read_plan(tmp_path / "own.csv") == {"'x": 1, "'-5": 1}


@pytest.mark.parametrize("name, text, fault", [
    ("plan.json", "{not json", "not a plan: invalid JSON at line 1"),
    ("plan.json", '{"id": "a"}', "not a plan: expected a Result JSON"),
    ("plan.json", '{"status": "infeasible", "allocation": []}', "not a plan: the result is infeasible"),
    ("plan.json", '{"allocation": [{"id": "a", "posts": 1.5}]}', "allocation[0] (id 'a'), column posts"),
    ("plan.json", '{"allocation": [3]}', "allocation[0] is not an object"),
    ("plan.csv", "id,spend\na,300\n", "the CSV header needs the column posts"),
    ("plan.csv", "name\nx\n", "needs the columns id, posts"),
    ("plan.csv", "id,posts\na,two\n", "row 1 (id 'a'), column posts: 'two' is not a number"),
    ("plan.csv", "id,posts\na,-1\n", "row 1 (id 'a'), column posts: -1.0 is not a whole number"),
    ("plan.csv", "id,posts\na,1\n,2\n", "row 2, column id: missing or empty id"),
    ("plan.csv", "id,posts\na,1\na,0\n", "row 2: id 'a' appears twice"),
    ("plan.csv", "id,posts,id\na,1,b\n", "the CSV header names id more than once"),   # was read as b, silently
    ("plan.csv", b"\xff\xfe\x00", "not UTF-8 text"),
])
def test_bad_previous_plan_files(tmp_path, name, text, fault):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InfluError) as caught:
        solved(SMALL, path)
    assert str(caught.value).startswith(f"{path}: ") and fault in str(caught.value)


def test_missing_previous_plan_file(tmp_path):
    with pytest.raises(InfluError, match="plan.json"):
        solved(SMALL, tmp_path / "plan.json")


@pytest.mark.parametrize("keep, fault", [
    (["b"], "key replan.keep: 'b' is not in the previous plan"),
    (["a"], "key replan.keep: 'a' is not eligible"),
])
def test_bad_keep(keep, fault):
    spec = {**SMALL, "selection": {"exclude": ["a"]}, "replan": {"max_changes": 2, "keep": keep}}
    with pytest.raises(ScenarioError, match=fault):
        solved(spec, {"a": 1, "e": 1})


# --- command line -----------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch):
    make_catalog(ROWS).frame.to_csv(tmp_path / "catalog.csv", index=False)
    (tmp_path / "s.toml").write_text('catalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n'
                                     '[budget]\nmax = 800\n[replan]\nmax_changes = 1\n')
    (tmp_path / "prev.csv").write_text("id,posts\ne,1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_previous_table_lists_changes_first(project):
    result = runner.invoke(cli.app, ["solve", "s.toml", "--previous", "prev.csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("Changes against the previous plan: 1 added or dropped") < result.stdout.index("Plan:")
    assert "added" in result.stdout and "replan.max_changes" in result.stdout


def test_cli_previous_json(project):
    result = runner.invoke(cli.app, ["solve", "s.toml", "--previous", "prev.csv", "--format", "json"])
    document = json.loads(result.stdout)
    assert document["changes"] == {"added": ["a"], "dropped": [], "posts_changed": []}
    (project / "plan.json").write_text(result.stdout)
    again = runner.invoke(cli.app, ["solve", "s.toml", "--previous", "plan.json", "--format", "json"])
    # from a and e, one more change buys d at $100: 500 + 200 + 160 = 860
    assert json.loads(again.stdout)["changes"] == {"added": ["d"], "dropped": [], "posts_changed": []}


def test_cli_bad_previous_is_one_line_exit_1(project):
    (project / "bad.csv").write_text("who,what\n")
    result = runner.invoke(cli.app, ["solve", "s.toml", "--previous", "bad.csv", "--output", "out.json"])
    assert result.exit_code == 1
    assert "bad.csv: not a plan: the CSV header needs the columns id, posts" in result.stderr
    assert "Traceback" not in result.output and not (project / "out.json").exists()
