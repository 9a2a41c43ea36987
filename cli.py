"""The influmix command line: parse the arguments, call the library, hand the answer to a
renderer (reports.emit).

Stdout carries the result (a table, JSON, CSV or HTML); messages, warnings and progress go to
stderr. Exit codes (docs/reference.md "Command line and exit codes") are decided in one place:
`STATUS_EXIT` for the status of a result and `ERROR_EXIT` for the errors a user can cause;
anything else is a bug and surfaces with its traceback.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from models import Catalog, InfluError, NoPlanError, Result, Scenario, ScenarioError
from models.catalog_rules import check_against_catalog, eligible_rows
from models.columns import parse_map_options
from models.describe import describe
from models.synthetic import catalog_bytes, generate_catalog
from optimizer import Frontier, compare, explain, solve, sweep
from optimizer.backend import abandoned_solver
from optimizer.control import Interrupted, noting, reporting_progress, solving, stopping_on_signals
from optimizer.executors import dask_executor, solve_all
from optimizer.kept import kept_columns, with_kept_columns
from optimizer.reuse import tighter
from reports import emit, render
from reports.formats import gap as share_gap, metric_value
from reports.output import check_not_input, check_writable, deliver, write_output
from reports.plots import PLOT_FORMATS
from reports.tables import TOP
from reports.terminal import err_console, message, print_error, show_warning, to_stdout
from reports.text import printable

# --- exit codes: the one place ---------------------------------------------------------------

EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 1, 3, 4  # 2 (usage) is typer's own
MAX_GENERATED_ROWS = 5_000_000   # about 6 GB to generate (a million rows: 1.2 GB); beyond, a MemoryError traceback
MAX_POINTS = 10_000   # values of one sweep: each is a solve (a stray --steps 100000000 took 10 GB before the first)
STATUS_EXIT = {"optimal": 0, "time_limit": 0, "infeasible": EXIT_INFEASIBLE}
ERROR_EXIT: tuple[tuple[type[InfluError], int], ...] = ((NoPlanError, EXIT_NO_PLAN), (InfluError, EXIT_INPUT))

EXIT_CODES_HELP = ("Exit codes: 0 a plan (optimal, or the best found within the time limit), 1 invalid input, "
                   "2 usage, 3 infeasible (with the diagnosis), 4 no plan found within the time limit.")


def error_exit(error: InfluError) -> int:
    return next(code for kind, code in ERROR_EXIT if isinstance(error, kind))


def reported(command: Callable) -> Callable:
    """Run a command with warnings shown as `warning: ...` lines and user errors turned into exit codes."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(), stopping_on_signals(), reporting_progress(show_progress()), noting(message):
            warnings.showwarning = show_warning
            try:
                try:
                    return command(*args, **kwargs)
                except InfluError as error:
                    print_error(error)
                    raise typer.Exit(error_exit(error)) from None
                except Interrupted as stop:
                    message(f"{stop}: stopped, nothing written")
                    raise typer.Exit(128 + (stop.signum or signal.SIGINT)) from None
            except typer.Exit as done:
                if abandoned_solver():     # the answer is out: do not wait for a stopped HiGHS to notice
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(done.exit_code)
                raise

    run.__doc__ = reflowed(command.__doc__ or "")
    return run


def show_progress() -> Callable[[float | None, float | None, float | None], None]:
    """Progress lines of a long solve on stderr: incumbent, bound, gap and time elapsed (maximize form:
    a cost is shown as a positive spend)."""
    started = time.perf_counter()

    def report(incumbent: float | None, bound: float | None, gap: float | None) -> None:
        figures = [f"{abs(value):,.6g}" if value is not None else "none yet" for value in (incumbent, bound)]
        message(f"solving: best plan {figures[0]}, bound {figures[1]}, gap {share_gap(gap)}, "
                f"{time.perf_counter() - started:,.0f} s (Ctrl-C stops with the best plan)")
    return report


def reflowed(doc: str) -> str:
    """A docstring as --help text: each paragraph on one line (the terminal wraps it), indented lines kept."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if p.startswith(" ") else " ".join(p.split()) for p in paragraphs)


# --- inputs ----------------------------------------------------------------------------------


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class SolveFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


class TableOrJson(str, Enum):
    table = "table"
    json = "json"


class Solver(str, Enum):
    highs = "highs"
    cbc = "cbc"


class Method(str, Enum):
    fast = "fast"
    plain = "plain"


ScenarioArg = Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file (TOML).", show_default=False)]
CatalogOption = Annotated[Path | None, typer.Option(
    "--catalog", help="Catalog file (CSV, Parquet or JSON lines); replaces the scenario's catalog.",
    show_default=False)]
MethodOption = Annotated[Method, typer.Option(
    "--method", help="fast: prune with LP bounds, then solve the exact MILP on the rest; plain: the whole MILP "
                     "at once. Both are optimal within the gap.")]
TopOption = Annotated[int, typer.Option(
    "--top", min=1, help="Table view: show this many booked influencers (the first and the last), and how "
                         "many are left out.")]
AllOption = Annotated[bool, typer.Option("--all", help="Table view: show every booked influencer.")]
def output_file(value: str) -> Path:
    """An option naming a file to write; `out/` (a trailing slash) names a folder, which Path would drop."""
    if value.endswith(("/", os.sep)):
        raise typer.BadParameter(f"{value!r} ends with {value[-1]!r}, so it names a folder; give a file name")
    return Path(value)


OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write the result to this file instead of stdout (whole or not at all).",
    parser=output_file, metavar="PATH", show_default=False)]
TimeLimitOption = Annotated[float | None, typer.Option(
    "--time-limit", min=0, help="Seconds per solve; replaces solver.time_limit. The best plan found by then is "
                                "reported with its gap.", show_default=False)]
GapOption = Annotated[float | None, typer.Option(
    "--gap", min=0, max=1, help="Relative MIP gap; replaces solver.gap (default 0.0001).", show_default=False)]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Local processes solving in parallel "
                                                                     "(at most one per core).")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Solve on this Dask cluster instead (tcp://HOST:PORT; needs influmix[dask]).",
    show_default=False)]


MapOption = Annotated[list[str] | None, typer.Option(
    "--map", help="Map a catalog column to an influmix column, e.g. --map 'Username=id' --map "
                  "'ER %=engagement_rate:percent'; adds to the scenario's [columns].", show_default=False)]


KeepOption = Annotated[list[str] | None, typer.Option(
    "--keep-columns", help="Carry catalog columns to the allocation rows (JSON, CSV, HTML), e.g. --keep-columns "
                           "email,agency; 'all' (or --keep-columns alone) keeps every column influmix does not "
                           "use.", show_default=False)]


class KeepColumnsAlone(typer.core.TyperCommand):
    """A command whose --keep-columns may stand alone, as SPEC section 14 writes it: then it is 'all'."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        alone = [at + 1 for at, arg in enumerate(args) if arg == "--keep-columns"
                 and (at + 1 == len(args) or (args[at + 1].startswith("-") and args[at + 1] != "-"))]
        for at in reversed(alone):
            args = [*args[:at], "all", *args[at:]]
        return super().parse_args(ctx, args)


def keep_option(entries: list[str] | None) -> bool | list[str] | None:
    """--keep-columns as solve's keep_columns: None, True for 'all', else the names (comma-separated)."""
    names = [name.strip() for entry in entries or [] for name in entry.split(",") if name.strip()]
    if not entries:
        return None
    if not names:
        raise typer.BadParameter("give column names, e.g. email,agency, or 'all'", param_hint="--keep-columns")
    return True if [name.lower() for name in names] == ["all"] else names


def column_map(entries: list[str] | None) -> dict[str, str]:
    """The --map options as a mapping (a usage error names a bad one)."""
    try:
        return parse_map_options(entries or [])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--map") from None


def load_scenario(path: Path, overrides: dict[str, object] | None = None, columns: list[str] | None = None) -> Scenario:
    """The scenario with command-line overrides (None values are left out) and --map entries."""
    scenario = Scenario.load(path)
    changes = {key: value for key, value in (overrides or {}).items() if value is not None}
    if columns:
        mapped = column_map(columns)      # replaces the scenario's entry for the same file column, in any case
        replaced = {name.strip().lower() for name in mapped}
        kept = {name: target for name, target in scenario.columns.items() if name.strip().lower() not in replaced}
        changes["columns"] = {**kept, **mapped}
    return scenario.override(changes) if changes else scenario


def check_output(output: Path | None, scenarios: list[Scenario], *others: Path | None) -> None:
    """Refuse an output file that is one of the inputs: a scenario, its base files, its catalog, or `others`."""
    check_not_input(output, [*(path for scenario in scenarios for path in (*scenario.files, scenario.catalog)), *others])


class Catalogs:
    """Catalogs by path, each loaded once; `keep`: the columns the solves carry (not warned about as ignored)."""

    def __init__(self, keep: bool | list[str] | None = None) -> None:
        self.keep = keep
        self.loaded: dict[tuple[Path, tuple[tuple[str, str], ...]], Catalog] = {}

    def of(self, scenario: Scenario) -> Catalog:
        if scenario.catalog is None:
            raise ScenarioError(scenario.path, "key catalog: no catalog; set catalog in the file or pass --catalog")
        key = (Path(scenario.catalog), tuple(scenario.columns.items()))
        if key not in self.loaded:
            self.loaded[key] = Catalog.load(key[0], scenario.columns, self.keep)
        return self.loaded[key]


# --- the application ---------------------------------------------------------------------------

app = typer.Typer(
    name="influmix",
    help="Pick the optimal mix of social-media influencers for a campaign.\n\n"
         "A scenario file (TOML) says what to maximize (engagements, reach, targeted reach) or that cost is "
         "to be minimized, the budget, floors on engagements, reach and audience segments, and how diverse "
         "the mix must be. influmix solves the mixed-integer program and reports who to book, how many "
         "posts, what it costs and what it delivers.\n\n"
         "Start with: influmix solve scenarios/spring-launch.toml\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
catalog_app = typer.Typer(
    help="Make and inspect influencer catalogs.\n\n"
         "Examples:\n\n"
         "  influmix catalog generate --rows 2000 --seed 42 --output catalog.csv\n\n"
         "  influmix catalog describe catalog.csv",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")


@app.command("solve", cls=KeepColumnsAlone)
@reported
def solve_command(
    scenario_file: ScenarioArg,
    catalog: CatalogOption = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0, help="Replaces budget.max.", show_default=False)] = None,
    format: Annotated[SolveFormat, typer.Option(
        "--format", "-f", help="table: for people; json: the whole Result; csv: the allocation; html: the "
                               "report page (as influmix report).")] = SolveFormat.table,
    output: OutputOption = None,
    solver: Annotated[Solver | None, typer.Option(
        "--solver", help="Replaces solver.name (default highs).", show_default=False)] = None,
    time_limit: TimeLimitOption = None,
    gap: GapOption = None,
    method: MethodOption = Method.fast,
    top: TopOption = TOP,
    every: AllOption = False,
    columns: MapOption = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", help="Re-plan against this plan (a Result JSON of solve --format json, or a CSV with "
                           "columns id,posts) under [replan] max_changes and keep; the result lists the "
                           "changes.", show_default=False)] = None,
    keep: KeepOption = None,
) -> None:
    """Solve a scenario: who to book, how many posts, what it costs and delivers.

    The table view shows the allocation (with CPE, cost per engagement), the totals, the mix by tier,
    platform and niche, audience coverage against its floors, the binding constraints, and the
    objective with the solver's proven bound and gap. --format json prints the whole Result (one JSON
    document, nothing else on stdout); --format csv prints the allocation (formula-safe, rounded);
    --format html the report page (as influmix report). The table shows the first 12 and the last 3
    booked influencers (--top N, or --all) and fits the terminal's width. An infeasible scenario prints
    its diagnosis (what to relax, by how much) and exits 3; --output is then not written.

    Examples:

      influmix solve scenarios/spring-launch.toml

      influmix solve scenarios/spring-launch.toml --budget 20000 --format json --output plan.json

      influmix solve my.toml --catalog catalogs/june.parquet --solver cbc --time-limit 30

      influmix solve scenarios/spring-launch.toml --previous plan.json

      influmix solve my.toml --keep-columns email,agency --format csv -o booking.csv
    """
    check_writable(output)
    scenario = load_scenario(scenario_file, {
        "catalog": catalog, "budget.max": budget, "solver.name": solver.value if solver else None,
        "solver.time_limit": time_limit, "solver.gap": gap}, columns)
    check_output(output, [scenario], previous)
    keep_columns = keep_option(keep)
    loaded = Catalogs(keep_columns).of(scenario)
    kept = kept_columns(loaded, keep_columns)    # checked before the solve
    with solving():
        solved = solve(loaded, scenario, method=method.value, previous=previous)
    result = with_kept_columns(solved, loaded, kept)
    report_status(result, with_diagnosis=format is SolveFormat.csv)
    if result.status == "infeasible" and output is not None:
        message(f"no plan: {output} not written")
        output = None
    emit(result, format.value, output, top=None if every else top)
    raise typer.Exit(STATUS_EXIT[result.status])


def report_status(result: Result, name: str | None = None, *, with_diagnosis: bool = False) -> None:
    """Stderr lines for a result that is not simply optimal; the diagnosis too where stdout does not show it."""
    label = f"{name}: " if name else ""
    if result.status == "time_limit":
        objective = result.objective
        if objective.gap is not None:
            found = f"within {share_gap(objective.gap)} of the optimum"
        elif objective.bound is not None:     # a plan worth 0: no gap relative to it
            found = (f"worth {metric_value(objective.metric, objective.value)}; no plan is worth more than "
                     f"{metric_value(objective.metric, objective.bound)}")
        else:
            found = "within an unknown gap of the optimum"
        message(f"{label}time limit reached: best plan found, {found}")
    elif result.status == "infeasible":
        message(f"{label}infeasible: no plan meets every constraint; see the diagnosis")
    if with_diagnosis:
        for item in result.diagnosis:
            message(f"{label}diagnosis: {item.message}")


@app.command("compare")
@reported
def compare_command(
    scenario_files: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO", help="Two or more scenario files, each solved with its own catalog.",
        show_default=False)],
    format: Annotated[TableOrJson, typer.Option("--format", "-f", help="table or json.")] = TableOrJson.table,
    output: OutputOption = None,
    method: MethodOption = Method.fast,
    top: TopOption = TOP,
    every: AllOption = False,
    time_limit: TimeLimitOption = None,
    gap: GapOption = None,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """Solve several scenarios and compare their plans side by side.

    Shows the key figures of each plan (status, objective, spend, influencers, posts, reach, engagements,
    CPE, CPM, share of spend per tier) and every influencer booked in some plans but not in all. Exits 3
    when any scenario is infeasible (its diagnosis goes to stderr), 4 when one found no plan in time.

    Examples:

      influmix compare scenarios/spring-launch.toml scenarios/spring-launch-lean.toml

      influmix compare a.toml b.toml c.toml --format json
    """
    if len(scenario_files) < 2:
        raise typer.BadParameter("give at least two scenario files", param_hint="SCENARIO")
    check_writable(output)
    scenarios = [load_scenario(path, {"solver.time_limit": time_limit, "solver.gap": gap}) for path in scenario_files]
    check_output(output, scenarios)
    with executor_for(scheduler) as executor:
        results = solve_each(scenarios, method, executor, workers)
    comparison = compare(results, tiers=[tier for scenario in scenarios for tier in scenario.tier_scheme])
    for name, result in zip(comparison.names, results):
        report_status(result, name, with_diagnosis=True)
    emit(comparison, format.value, output, top=None if every else top)
    raise typer.Exit(max(STATUS_EXIT[result.status] for result in results))


def solve_each(scenarios: list[Scenario], method: Method, executor: Executor | None = None,
               workers: int = 2, keep: bool | list[str] | None = None) -> list[Result]:
    """Each scenario solved with its own catalog (each catalog loaded once, sent to each worker once),
    on `executor` or in `workers` local processes; NoPlanError where one found no plan in time.
    `keep`: catalog columns carried to the allocations (checked before any solve)."""
    catalogs = Catalogs(keep)
    kept = [kept_columns(catalogs.of(scenario), keep) for scenario in scenarios]
    sources = list({id(catalog): catalog for catalog in map(catalogs.of, scenarios)}.values())
    jobs = [(next(k for k, source in enumerate(sources) if source is catalogs.of(scenario)), scenario)
            for scenario in scenarios]
    with solving():
        solved = dict(solve_all(sources, jobs, method=method.value, executor=executor, workers=workers))
    for position, scenario in enumerate(scenarios):
        if solved[position] is None:
            raise NoPlanError(scenario.path, "no plan found within the time limit")
    return [with_kept_columns(solved[position], catalogs.of(scenario), kept[position])
            for position, scenario in enumerate(scenarios)]


@app.command("report", cls=KeepColumnsAlone)
@reported
def report_command(
    scenario_files: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO", help="One or more scenario files, each solved with its own catalog.",
        show_default=False)],
    output: OutputOption = None,
    catalog: CatalogOption = None,
    method: MethodOption = Method.fast,
    time_limit: TimeLimitOption = None,
    gap: GapOption = None,
    keep: KeepOption = None,
) -> None:
    """Write a report to share: one self-contained HTML page, readable offline and printable on A4.

    For each plan: the key figures, the mix by tier, platform and niche (charts), audience coverage against
    its targets, outcome ranges where simulated, the binding constraints and the whole allocation (click a
    column to sort); the diagnosis for an infeasible scenario. With several scenarios the page opens with
    their key figures and tier mix side by side. The page makes no network request (CSS, script and
    charts are inline). Exits 3 when a scenario is infeasible (the report still shows its diagnosis).

    Examples:

      influmix report scenarios/spring-launch.toml --output report.html

      influmix report scenarios/spring-launch.toml scenarios/spring-launch-lean.toml -o launch.html

      influmix report big.toml --time-limit 60 --gap 0.001 -o big.html
    """
    check_writable(output)
    scenarios = [load_scenario(path, {"catalog": catalog, "solver.time_limit": time_limit, "solver.gap": gap})
                 for path in scenario_files]
    check_output(output, scenarios)
    results = solve_each(scenarios, method, keep=keep_option(keep))
    if len(results) == 1:
        report_status(results[0])
        emit(results[0], "html", output)
    else:
        comparison = compare(results, tiers=[tier for scenario in scenarios for tier in scenario.tier_scheme])
        for name, result in zip(comparison.names, results):
            report_status(result, name)
        emit(comparison, "html", output)
    raise typer.Exit(max(STATUS_EXIT[result.status] for result in results))


@app.command("sweep")
@reported
def sweep_command(
    scenario_file: ScenarioArg,
    budgets: Annotated[str | None, typer.Option(
        "--budgets", help="Comma-separated budgets, e.g. 10000,20000,40000.", show_default=False)] = None,
    start: Annotated[float | None, typer.Option(
        "--from", min=0, help="Lowest budget of an evenly spaced range (with --to).", show_default=False)] = None,
    stop: Annotated[float | None, typer.Option(
        "--to", min=0, help="Highest budget of the range.", show_default=False)] = None,
    steps: Annotated[int, typer.Option("--steps", min=2, max=MAX_POINTS, help="Number of budgets in the range.")] = 5,
    key: Annotated[str, typer.Option(
        "--key", help="The numeric scenario key to sweep, e.g. limits.platform.tiktok.max_share; "
                      "--values or --from/--to then give its values.")] = "budget.max",
    values: Annotated[str | None, typer.Option(
        "--values", help="Comma-separated values of --key.", show_default=False)] = None,
    catalog: CatalogOption = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw the frontier (objective vs budget, and the tier mix) to this PNG, SVG or PDF.",
        parser=output_file, metavar="PATH", show_default=False)] = None,
    format: Annotated[Format, typer.Option(
        "--format", "-f", help="table, json (the whole frontier) or csv (one row per budget).")] = Format.table,
    output: OutputOption = None,
    method: MethodOption = Method.fast,
    time_limit: TimeLimitOption = None,
    gap: GapOption = None,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """Solve a scenario at several budgets (or values of any numeric key): the efficient frontier.

    For each budget (as budget.max) shows the objective, what the plan spends and delivers, the marginal
    objective per extra 1,000 of budget since the previous budget, and the share of spend per tier. A
    budget with no feasible plan is a point with status infeasible; when every one is, the sweep exits 3
    with the diagnosis at the loosest value (4 when no value found a plan in time), and --output and
    --plot are not written. Give either --budgets, or --from and
    --to (with --steps). With --key KEY, the values (--values, or --from/--to) are those of that scenario
    key instead, e.g. --key limits.platform.tiktok.max_share --values 0.2,0.3,0.5. The solves run in
    --workers local processes, or on a Dask cluster with --scheduler tcp://HOST:PORT; Ctrl-C stops them.

    Examples:

      influmix sweep scenarios/spring-launch.toml --budgets 10000,20000,40000

      influmix sweep scenarios/spring-launch.toml --from 10000 --to 80000 --steps 8 --plot frontier.png

      influmix sweep scenarios/spring-launch.toml --budgets 20000,50000 --format csv --output frontier.csv

      influmix sweep scenarios/spring-launch.toml --key diversity.max_influencers --from 20 --to 60 --steps 5
    """
    if values is not None and budgets is not None:
        raise typer.BadParameter("give --budgets or --values, not both", param_hint="--values")
    option = "--budgets" if budgets is not None or (values is None and key == "budget.max") else "--values"
    levels = budget_levels(budgets if values is None else values, start, stop, steps,
                           option, minimum=0 if key == "budget.max" else None)
    for path in (output, plot):
        check_writable(path)
    if plot is not None and output is not None and os.path.realpath(plot) == os.path.realpath(output):
        raise typer.BadParameter("--plot and --output name the same file", param_hint="--plot")
    if plot is not None and plot.suffix.lower().lstrip(".") not in PLOT_FORMATS:
        raise typer.BadParameter(f"use a file ending in {', '.join('.' + kind for kind in PLOT_FORMATS)}",
                                 param_hint="--plot")
    scenario = load_scenario(scenario_file, {"catalog": catalog, "solver.time_limit": time_limit, "solver.gap": gap})
    for path in (output, plot):
        check_output(path, [scenario])
    source = Catalogs().of(scenario)
    with progress_bar(len(levels)) as advance, executor_for(scheduler) as executor, solving():
        frontier = sweep(source, scenario, key=key, values=levels, method=method.value, workers=workers,
                         executor=executor, progress=advance)
    planned = any(point.has_plan for point in frontier.points)
    for path in (output, plot) if not planned else ():
        if path is not None:
            message(f"no plan: {path} not written")
    image = render(frontier, plot.suffix.lower().lstrip(".")) if plot is not None and planned else None
    emit(frontier, format.value, output if planned else None)
    if image is not None:
        deliver(image, plot)
    if not planned:
        raise typer.Exit(no_plan_anywhere(source, scenario, frontier, method))


def no_plan_anywhere(catalog: Catalog, scenario: Scenario, frontier: Frontier, method: Method) -> int:
    """The exit code of a sweep with no plan at any value, as one solve's would be: 3 with the
    diagnosis at the loosest value where every value is infeasible, else 4."""
    if not all(point.status == "infeasible" for point in frontier.points):
        message("no plan found within the time limit at any value")
        return EXIT_NO_PLAN
    loosest = frontier.points[0 if tighter(frontier.key) > 0 else -1].value
    message(f"infeasible at every value; at the loosest, {frontier.key} = {loosest:g}:")
    with solving():
        result = solve(catalog, scenario.override({frontier.key: loosest}), method=method.value)
    report_status(result, with_diagnosis=True)
    return STATUS_EXIT[result.status]


@app.command("explain")
@reported
def explain_command(
    scenario_file: ScenarioArg,
    prices: Annotated[int, typer.Option(
        "--prices", help="Break-even prices for this many booked creators (largest spend first) and as many "
                         "unbooked ones (most engagements per dollar first); 0 for none.")] = 5,
    catalog: CatalogOption = None,
    format: Annotated[TableOrJson, typer.Option(
        "--format", "-f", help="table, or json (SPEC section 11's shape).")] = TableOrJson.table,
    output: OutputOption = None,
    method: MethodOption = Method.fast,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0, help="Seconds for the whole explanation; what has not finished by then is "
                                    "reported as not computed.", show_default=False)] = None,
    gap: GapOption = None,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """Explain a plan: what loosening each binding constraint buys, and creators' break-even prices.

    Solves the scenario, then re-solves it with each binding constraint one step looser (budget and
    other ceilings +10%, floors -10%, spend shares 0.05, counts 1) and shows the objective each step
    gives, the largest gain first. With --prices N (default 5): for the N booked creators with the
    largest spend, the price per post above which the re-solved plan drops each; for the N unbooked
    eligible creators with the most engagements per dollar, the price below which each enters;
    bracketed by re-solves to within 2% (booked at the lower price, not at the higher). Every figure is
    a re-solve; what does not finish within --time-limit is reported as not computed. The re-solves
    run in --workers local processes, or on a Dask cluster with --scheduler tcp://HOST:PORT; Ctrl-C
    stops them. An infeasible scenario prints its diagnosis and exits 3.

    Examples:

      influmix explain scenarios/spring-launch.toml

      influmix explain scenarios/spring-launch.toml --prices 10 --format json --output explain.json

      influmix explain my.toml --prices 0 --time-limit 60
    """
    if prices < 0:
        raise typer.BadParameter("must be 0 or more", param_hint="--prices")
    if time_limit is not None and time_limit <= 0:
        raise typer.BadParameter("must be above 0", param_hint="--time-limit")
    check_writable(output)
    scenario = load_scenario(scenario_file, {"catalog": catalog, "solver.gap": gap})
    check_output(output, [scenario])
    source = Catalogs().of(scenario)
    with executor_for(scheduler) as executor, solving():
        explanation = explain(source, scenario, prices=prices, method=method.value, time_limit=time_limit,
                              executor=executor, workers=workers,
                              progress=message if err_console().is_terminal else None)
    if explanation.status == "infeasible":
        report_status(explanation.result, with_diagnosis=True)
        if output is not None:
            message(f"no plan: {output} not written")
            output = None
    else:
        report_status(explanation.result)
    emit(explanation, format.value, output)
    raise typer.Exit(STATUS_EXIT[explanation.status])


def budget_levels(budgets: str | None, start: float | None, stop: float | None, steps: int,
                  option: str = "--budgets", minimum: float | None = 0) -> list[float]:
    """The values to solve, from `option` (--budgets, --values) or from --from/--to/--steps
    (usage errors otherwise); each at least `minimum` where one is given."""
    if budgets is not None:
        if start is not None or stop is not None:
            raise typer.BadParameter(f"give {option} or --from/--to, not both", param_hint=option)
        try:
            levels = [float(part.replace("_", "")) for part in budgets.split(",") if part.strip()]
        except ValueError:
            raise typer.BadParameter(f"{budgets!r} is not a comma-separated list of numbers",
                                     param_hint=option) from None
        if not levels or any(not math.isfinite(level) or (minimum is not None and level < minimum)
                             for level in levels):
            raise typer.BadParameter("values must be finite numbers" + (f" >= {minimum:g}" if minimum is not None
                                                                         else ""), param_hint=option)
        if len(levels) > MAX_POINTS:
            raise typer.BadParameter(f"{len(levels):,} values; a sweep solves at most {MAX_POINTS:,}",
                                     param_hint=option)
        return levels
    if start is None or stop is None:
        raise typer.BadParameter(f"give {option}, or both --from and --to", param_hint=option)
    if stop <= start:
        raise typer.BadParameter(f"must be above --from ({start:g})", param_hint="--to")
    return [start + (stop - start) * k / (steps - 1) for k in range(steps)]


@contextmanager
def executor_for(scheduler: str | None) -> Iterator[Executor | None]:
    """The Dask cluster's executor for --scheduler, or None: local worker processes."""
    if scheduler is None:
        yield None
    else:
        with dask_executor(scheduler) as executor:
            yield executor


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[float, str], None]]:
    """A progress bar on stderr (shown only on a terminal); yields the callback that advances it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = err_console()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("solving budgets", total=total)
        yield lambda budget, status: progress.update(task, advance=1, description=f"budget {budget:,.0f}: {status}")


@app.command("validate")
@reported
def validate_command(
    scenario_files: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO", help="Scenario files to check.", show_default=False)],
    catalog: CatalogOption = None,
    columns: MapOption = None,
) -> None:
    """Check scenario files and their catalogs against each other, without solving.

    Reads each scenario and its catalog and checks every rule of both (segments, limit values, ids,
    objective and floors). Prints `ok: FILE (N eligible of ROWS)` for each good file and every problem
    of the others, then exits 1 if any file has a problem.

    Examples:

      influmix validate scenarios/*.toml

      influmix validate draft.toml --catalog catalogs/june.csv
    """
    catalogs, failed = Catalogs(), False
    for path in scenario_files:
        try:
            scenario = load_scenario(path, {"catalog": catalog}, columns)
            source = catalogs.of(scenario)
            check_against_catalog(source, scenario)
            eligible = int(eligible_rows(source, scenario).sum())
        except InfluError as error:
            print_error(error)
            failed = True
            continue
        to_stdout(f"ok: {printable(path)} ({eligible:,} eligible of {source.rows:,})\n")
    if failed:
        raise typer.Exit(EXIT_INPUT)


@catalog_app.command("generate")
@reported
def generate_command(
    rows: Annotated[int, typer.Option("--rows", min=1, max=MAX_GENERATED_ROWS, help="Number of influencers.",
                                      show_default=False)],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="File to write: .csv, .parquet or .jsonl.", parser=output_file, metavar="PATH",
        show_default=False)],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed: the same seed gives the same bytes.")] = 0,
    segments: Annotated[int, typer.Option(
        "--segments", help="Audience segments: 10 (gender x age) or 30 (x region na/eu/row).")] = 10,
) -> None:
    """Generate a synthetic catalog calibrated to published influencer figures.

    Followers by tier, engagement rate by size and platform, prices from rate cards, authenticity
    (bought followers), posts available and audience shares per segment (aud_f18_24, ...). The same
    --rows, --seed and --segments always write the same bytes.

    Examples:

      influmix catalog generate --rows 2000 --seed 42 --output catalog.csv

      influmix catalog generate --rows 100000 --segments 30 --output big.parquet
    """
    if segments not in (10, 30):
        raise typer.BadParameter("must be 10 or 30", param_hint="--segments")
    check_writable(output)
    write_output(output, catalog_bytes(generate_catalog(rows, seed=seed, segments=segments), output))
    message(f"wrote {output} ({rows:,} influencers, {segments} segments, seed {seed})")


@catalog_app.command("describe")
@reported
def describe_command(
    path: Annotated[Path, typer.Argument(metavar="CATALOG", help="Catalog file.", show_default=False)],
    tiers_from: Annotated[Path | None, typer.Option(
        "--tiers-from", help="Use this scenario's tier scheme instead of the default one.",
        show_default=False)] = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f", help="table or json.")] = TableOrJson.table,
    columns: MapOption = None,
) -> None:
    """Summarize a catalog: counts and medians by tier, platform and niche.

    For each group: how many influencers, their share of the catalog, and the median followers,
    engagement rate, cost per post and CPE (cost per engagement of one post). Validates the catalog
    first: a bad cell is reported with its row and column.

    Examples:

      influmix catalog describe scenarios/catalogs/sample.csv

      influmix catalog describe scenarios/catalogs/sample.csv --tiers-from scenarios/spring-launch.toml
    """
    scheme = Scenario.load(tiers_from).tier_scheme if tiers_from is not None else None
    summary = describe(Catalog.load(path, column_map(columns)), scheme)
    emit(summary, format.value)


@app.command("schema")
@reported
def schema_command() -> None:
    """Print the JSON Schema of the scenario file format.

    Editors use it to complete and check scenario files (TOML tools such as Taplo and Even Better TOML
    accept a JSON Schema).

    Example:

      influmix schema > scenario.schema.json
    """
    to_stdout(json.dumps(Scenario.json_schema(), indent=2) + "\n")


if __name__ == "__main__":
    app()
