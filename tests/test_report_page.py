"""The HTML report (SPEC section 12), checked as a page and in a real browser.

The browser tests load the page in headless Chromium (Debian's `chromium-headless-shell`, which
`make test` installs when it runs as root) with a recorder script added in front of the page's
own: it writes every script error and every Content-Security-Policy violation (any request the
page would make) into attributes of <html>, then clicks a column header to sort, and Chromium
prints the DOM. Without the browser these tests skip and say why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
from instances import influencer, make_catalog, make_scenario
from optimizer import compare, solve
from reports import render
from reports.formats import count, money

BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="headless Chromium is not installed: `make test` installs Debian's "
                            "chromium-headless-shell when run as root (apt-get install chromium-headless-shell)")
SCRIPT_NAME = "<script>alert(1)</script>"
TAG_NAME = '"><img src=x onerror=alert(2)>'
# a 500 for $300, b 450 for $300, c 1,500 for $2,000, d 160 for $100 (two posts): $800 books a, b, d, d.
ROWS = [
    influencer("a", 10_000, 0.05, 300, name=SCRIPT_NAME, niche="beauty", max_posts=1, aud_s1=0.5),
    influencer("b", 9_000, 0.05, 300, name=TAG_NAME, platform="tiktok", niche="food", max_posts=1, aud_s1=0.1),
    influencer("c", 100_000, 0.015, 2000, name="Cat", niche="tech", max_posts=1, aud_s1=0.3),
    influencer("d", 4_000, 0.04, 100, name="Dan & Co", platform="tiktok", niche="beauty", max_posts=2, aud_s1=0.2),
]
RECORDER = """
(function () {
  var root = document.documentElement, errors = [], blocked = [];
  var note = function (name, list) { root.setAttribute(name, JSON.stringify(list)); };
  window.addEventListener("error", function (event) {
    errors.push(event.message || ("failed to load " + (event.target && event.target.tagName)));
    note("data-test-errors", errors);
  }, true);
  window.addEventListener("unhandledrejection", function (event) { errors.push(String(event.reason));
    note("data-test-errors", errors); });
  document.addEventListener("securitypolicyviolation", function (event) {
    blocked.push(event.violatedDirective + " " + event.blockedURI);
    note("data-test-blocked", blocked);
  });
  window.addEventListener("load", function () {
    var table = document.querySelector("table.allocation");
    if (table) {
      var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
      var engagements = headers.filter(function (th) { return th.textContent === "engagements"; })[0];
      engagements.click();
      root.setAttribute("data-test-first", table.tBodies[0].rows[0].cells[0].textContent);
      root.setAttribute("data-test-sort", engagements.getAttribute("aria-sort"));
    }
    note("data-test-errors", errors);
    note("data-test-blocked", blocked);
  });
})();
"""


def scenario(budget: float = 800, floor: float = 5000):
    return make_scenario(objective={"maximize": "engagements"}, budget={"max": budget},
                         coverage={"s1": {"min_reach": floor}})


@pytest.fixture(scope="module")
def plan():
    return solve(make_catalog(ROWS), scenario())


class Page(HTMLParser):
    """The text of a page, and its elements by tag."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.inside_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.inside_script = tag == "script"

    def handle_endtag(self, tag):
        self.inside_script = False

    def handle_data(self, data):
        (self.scripts if self.inside_script else self.text).append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def browse(page: str, folder: Path, *extra: str) -> tuple[Page, dict[str, str]]:
    """Load `page` in headless Chromium with the recorder; the DOM after load and the recorder's notes."""
    digest = base64.b64encode(hashlib.sha256(RECORDER.encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in policy
    recorded = page.replace(policy, policy + f" 'sha256-{digest}'").replace(
        "<head>", f"<head><script>{RECORDER}</script>", 1)
    path = folder / "page.html"
    path.write_text(recorded, encoding="utf-8")
    done = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={folder / 'profile'}",
         "--virtual-time-budget=3000", *extra, "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    root = re.search(r"<html([^>]*)>", done.stdout).group(1)
    notes = {key: value for key, value in Page(f"<x{root}>").tags[0][1].items() if key.startswith("data-test")}
    return Page(done.stdout), notes


# --- the page itself --------------------------------------------------------------------------------


def test_catalog_strings_are_escaped_and_nothing_is_fetched(plan):
    page = render(plan, "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT_NAME not in page
    assert "<img" not in page and "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "Dan &amp; Co" in page
    assert page.count("<script>") == 1 and "http:" not in page.replace('http-equiv', '') and "https:" not in page
    assert not any({"src", "href"} & set(attrs) for _, attrs in Page(page).tags)


def test_the_page_has_every_section(plan):
    words = Page(render(plan, "html")).words
    for text in ("1,270", "800.00", "Mix: share of spend", "Spend by tier", "Spend by platform", "Spend by niche",
                 "Audience coverage", "5,000", "met", "Binding constraints", "budget.max",
                 "Allocation: 3 influencers, 4 posts", "Dan & Co"):
        assert text in words, text
    assert "Cat" not in words  # c is not booked


def test_unique_reach_changes_and_risk_are_on_the_page():
    """SPEC 8, 10, 11 figures reach the page: unique reach, impressions and frequency among the key figures;
    a coverage floor judged on the unique reach it applies to (s1: 1 - 0.95 x 0.991 x 0.992 of 100,000);
    the changes against a previous plan; the risk objective's CVaR."""
    audience = {"audience": {"population": 1_000_000, "segments": {"s1": 100_000}}}
    result = solve(make_catalog(ROWS), scenario().override(audience), previous={"a": 1, "c": 1})
    words = Page(render(result, "html")).words
    unique_s1 = 100_000 * (1 - 0.95 * 0.991 * 0.992)
    for text in ("unique reach", count(result.totals.unique_reach), "impressions", "frequency",
                 "Unique reach in segment", count(unique_s1), "population", "100,000",
                 "Changes against the previous plan: 3 added or dropped", "added b 1", "added d 2", "dropped c"):
        assert text in words, text
    risky = solve(make_catalog(ROWS), scenario().override({"objective.risk": {"cvar": 0.2, "weight": 0.5, "runs": 50}}))
    assert f"CVaR) of engagements is {count(risky.outcomes.risk.cvar_value)}" in Page(render(risky, "html")).words


def test_an_infeasible_scenario_shows_its_diagnosis():
    result = solve(make_catalog(ROWS), scenario(300, floor=500_000))
    words = Page(render(result, "html")).words
    assert result.status == "infeasible"
    assert "Diagnosis: no plan meets every constraint" in words and "coverage.s1" in words
    assert "Allocation" not in words


def test_several_scenarios_side_by_side(plan):
    lean = solve(make_catalog(ROWS), scenario(600).override({"name": "Lean"}))
    words = Page(render(compare([plan, lean], names=["Full", "Lean <b>"]), "html")).words
    assert "2 plans side by side" in words and "Key figures" in words and "Tier mix: share of spend" in words
    assert "Lean <b>" in words and words.count("Allocation:") == 2
    assert "In some plans, not all" in words


def test_report_command_writes_one_file(tmp_path, monkeypatch):
    pd.DataFrame(ROWS).to_csv(tmp_path / "catalog.csv", index=False)
    base = 'catalog = "catalog.csv"\n[objective]\nmaximize = "engagements"\n'
    (tmp_path / "full.toml").write_text('name = "Full"\n' + base + "[budget]\nmax = 800\n")
    (tmp_path / "lean.toml").write_text('name = "Lean"\n' + base + "[budget]\nmax = 600\n")
    (tmp_path / "none.toml").write_text('name = "None"\n' + base + "[budget]\nmax = 300\n"
                                        "[coverage.s1]\nmin_reach = 500000\n")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    done = runner.invoke(cli.app, ["report", "full.toml", "lean.toml", "none.toml", "-o", "report.html"])
    assert done.exit_code == 3, done.output  # one scenario is infeasible; the report shows its diagnosis
    words = Page((tmp_path / "report.html").read_text()).words
    assert "3 plans side by side" in words and "Diagnosis" in words and "1,270" in words
    single = runner.invoke(cli.app, ["solve", "full.toml", "--format", "html"])
    assert single.exit_code == 0 and single.stdout.startswith("<!DOCTYPE html>")
    assert "report.html" in done.stderr and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    (tmp_path / "typo.toml").write_text(base + "[budget]\nmax = 800\n[diversity]\nmax_influencer = 3\n")
    failed = runner.invoke(cli.app, ["report", "full.toml", "typo.toml", "-o", "other.html"])
    assert failed.exit_code == 1 and "typo.toml" in failed.stderr and not (tmp_path / "other.html").exists()


# --- in a real browser ------------------------------------------------------------------------------


@needs_browser
def test_flagship_report_in_a_browser(plan, tmp_path):
    dom, notes = browse(render(plan, "html"), tmp_path)
    assert json.loads(notes["data-test-errors"]) == []
    assert json.loads(notes["data-test-blocked"]) == []
    assert notes["data-test-sort"] == "ascending" and notes["data-test-first"] == "d"  # 320 engagements, the least
    words = dom.words
    for text in (count(plan.objective.value), money(plan.totals.spend), SCRIPT_NAME, TAG_NAME.strip()):
        assert text in words, text
    assert not any(tag == "img" for tag, _ in dom.tags)
    assert not any("alert" in script for script in dom.scripts[1:])  # the recorder's own script is first


@needs_browser
def test_a_request_would_be_caught(plan, tmp_path):
    """The harness itself: a page that fetches an image is reported (and the image is blocked)."""
    page = render(plan, "html").replace("<body>", '<body><img src="http://127.0.0.1:9/pixel.png">', 1)
    _, notes = browse(page, tmp_path)
    assert "127.0.0.1:9" in notes["data-test-blocked"]


@needs_browser
def test_the_report_prints_on_a4(plan, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(plan, "html"), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    sizes = {tuple(round(float(v)) for v in box) for box in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)}
    assert sizes == {(596, 843)} or sizes == {(595, 842)}, sizes  # A4 in points


def test_no_name_column_when_the_catalog_has_no_names(plan):
    rows = [{key: value for key, value in row.items() if key != "name"} for row in ROWS]
    assert '<th class="text">name</th>' in render(plan, "html")
    assert '<th class="text">name</th>' not in render(solve(make_catalog(rows), scenario()), "html")
