"""The influmix command line: parse the arguments, call the library, render the answer.

Stdout carries the result (a table, JSON or CSV); messages, warnings and progress go to
stderr. Exit codes (SPEC section 6) are decided in one place: `STATUS_EXIT` for the status of
a result and `ERROR_EXIT` for the errors a user can cause; anything else is a bug and surfaces
with its traceback.
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import math
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import Executor
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from models import Catalog, InfluError, NoPlanError, Result, Scenario, ScenarioError
from models.describe import CatalogSummary, describe
from models.files import write_atomic
from models.synthetic import generate_catalog, write_catalog
from optimizer import compare, solve, sweep
from optimizer.compare import TIER_PREFIX, Comparison
from optimizer.backend import abandoned_solver
from optimizer.control import Interrupted, reporting_progress, stopping_on_signals
from optimizer.executors import dask_executor, solve_all
from optimizer.problem import prepare
from optimizer.sweep import Frontier
from reports.outcomes import outcome_figure, outcome_table

# --- exit codes: the one place ---------------------------------------------------------------

EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 1, 3, 4  # 2 (usage) is typer's own
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
        with warnings.catch_warnings(), stopping_on_signals(), reporting_progress(show_progress()):
            warnings.showwarning = show_warning
            try:
                try:
                    return command(*args, **kwargs)
                except InfluError as error:
                    print_error(error)
                    raise typer.Exit(error_exit(error)) from None
                except Interrupted as stop:
                    err_console().print(Text(f"{stop}: stopped, nothing written"))
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
        err_console().print(Text(f"solving: best plan {figures[0]}, bound {figures[1]}, gap "
                                 f"{share_gap(gap) if gap is not None else '-'}, "
                                 f"{time.perf_counter() - started:,.0f} s (Ctrl-C stops with the best plan)",
                                 style="dim"))
    return report


def reflowed(doc: str) -> str:
    """A docstring as --help text: each paragraph on one line (the terminal wraps it), indented lines kept."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if p.startswith(" ") else " ".join(p.split()) for p in paragraphs)


def print_error(error: InfluError) -> None:
    """The located message, one `error:` line per problem."""
    for line in str(error).splitlines():
        err_console().print(Text("error: ", style="bold red") + Text(line))


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err_console().print(Text("warning: ", style="bold yellow") + Text(str(message)))


# --- consoles and output -----------------------------------------------------------------------

WIDE = 160  # width of tables written to a pipe or a file, where the terminal does not set one


def out_console(file: io.StringIO | None = None) -> Console:
    """Stdout (or a buffer): tables as wide as the terminal, or WIDE when it is not a terminal."""
    console = Console(file=file, highlight=False, soft_wrap=False, color_system=None if file else "auto")
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = WIDE
    return console


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def emit(text: str, output: Path | None) -> None:
    """The result on stdout, or into `output` (whole or not at all)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_output(output, text.encode("utf-8"))
        err_console().print(Text(f"wrote {output}"))


def print_whole(console: Console, renderable: RenderableType) -> None:
    """Print a table at its natural width even where the screen is narrower: a number cut short
    with an ellipsis would be worse than a line that wraps."""
    width = console.width
    if isinstance(renderable, Table):
        console.width = max(width, Measurement.get(console, console.options.update_width(10_000), renderable).maximum)
    try:
        console.print(renderable)
    finally:
        console.width = width


def show(renderables: Sequence[RenderableType], output: Path | None) -> None:
    """Rich renderables on stdout (coloured on a terminal), or as plain text into `output`."""
    buffer = io.StringIO() if output is not None else None
    console = out_console(buffer)
    for renderable in renderables:
        print_whole(console, renderable)
    if buffer is not None:
        emit(buffer.getvalue(), output)


def check_writable(path: Path | None) -> None:
    """Fail before any work when `path` cannot be written: its folder must exist."""
    if path is None:
        return
    if path.is_dir():
        raise InfluError(path, "is a folder; give a file name")
    if not path.parent.is_dir():
        raise InfluError(path, f"cannot write: folder {path.parent} does not exist")


def write_output(path: Path, data: bytes) -> None:
    """Write the whole output at once (temporary file, then rename); an OSError names the file."""
    try:
        write_atomic(path, data)
    except OSError as error:
        raise InfluError(path, f"cannot write: {error.strerror or error}") from None


def relative(path: str | Path | None) -> str:
    """A path as a user would type it: relative to the current folder when it is below it."""
    if path is None:
        return "-"
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- number formats ------------------------------------------------------------------------------


def count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def rate(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or value != value else f"{value:,.{digits}f}"


def share(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.1%}"


def number(value: float) -> str:
    """A figure of any size: whole above 1,000 (1,300,075), four significant digits below (0.1235)."""
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:,.4g}"


def metric_value(metric: str, value: float | None) -> str:
    return money(value) if metric == "cost" else count(value)


# --- inputs ----------------------------------------------------------------------------------


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


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
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write the result to this file instead of stdout (whole or not at all).",
    show_default=False)]
TimeLimitOption = Annotated[float | None, typer.Option(
    "--time-limit", min=0, help="Seconds per solve; replaces solver.time_limit. The best plan found by then is "
                                "reported with its gap.", show_default=False)]
GapOption = Annotated[float | None, typer.Option(
    "--gap", min=0, max=1, help="Relative MIP gap; replaces solver.gap (default 0.0001).", show_default=False)]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Local processes solving in parallel.")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Solve on this Dask cluster instead (tcp://HOST:PORT; needs influmix[dask]).",
    show_default=False)]


def load_scenario(path: Path, overrides: dict[str, object] | None = None) -> Scenario:
    """The scenario with command-line overrides (None values are left out)."""
    scenario = Scenario.load(path)
    changes = {key: value for key, value in (overrides or {}).items() if value is not None}
    return scenario.override(changes) if changes else scenario


class Catalogs:
    """Catalogs by path, each loaded once."""

    def __init__(self) -> None:
        self.loaded: dict[Path, Catalog] = {}

    def of(self, scenario: Scenario) -> Catalog:
        if scenario.catalog is None:
            raise ScenarioError(scenario.path, "key catalog: no catalog; set catalog in the file or pass --catalog")
        path = Path(scenario.catalog)
        if path not in self.loaded:
            self.loaded[path] = Catalog.load(path)
        return self.loaded[path]


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


@app.command("solve")
@reported
def solve_command(
    scenario_file: ScenarioArg,
    catalog: CatalogOption = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0, help="Replaces budget.max.", show_default=False)] = None,
    format: Annotated[Format, typer.Option(
        "--format", "-f", help="table: for people; json: the whole Result; csv: the allocation.")] = Format.table,
    output: OutputOption = None,
    solver: Annotated[Solver | None, typer.Option(
        "--solver", help="Replaces solver.name (default highs).", show_default=False)] = None,
    time_limit: TimeLimitOption = None,
    gap: GapOption = None,
    method: MethodOption = Method.fast,
) -> None:
    """Solve a scenario: who to book, how many posts, what it costs and delivers.

    The table view shows the allocation (with CPE, cost per engagement), the totals, the mix by tier,
    platform and niche, audience coverage against its floors, the binding constraints, and the
    objective with the solver's proven bound and gap. --format json prints the whole Result (one JSON
    document, nothing else on stdout); --format csv prints the allocation. An infeasible scenario
    prints its diagnosis (what to relax, by how much) and exits 3; --output is then not written.

    Examples:

      influmix solve scenarios/spring-launch.toml

      influmix solve scenarios/spring-launch.toml --budget 20000 --format json --output plan.json

      influmix solve my.toml --catalog catalogs/june.parquet --solver cbc --time-limit 30
    """
    check_writable(output)
    scenario = load_scenario(scenario_file, {
        "catalog": catalog, "budget.max": budget, "solver.name": solver.value if solver else None,
        "solver.time_limit": time_limit, "solver.gap": gap})
    result = solve(Catalogs().of(scenario), scenario, method=method.value)
    report_status(result, with_diagnosis=format is Format.csv)
    if result.status == "infeasible" and output is not None:
        err_console().print(Text(f"no plan: {output} not written"))
        output = None
    if format is Format.json:
        emit(result.to_json() + "\n", output)
    elif format is Format.csv:
        emit(result.allocation.to_csv(index=False, lineterminator="\n"), output)
    else:
        show(result_view(result, scenario), output)
    raise typer.Exit(STATUS_EXIT[result.status])


def report_status(result: Result, name: str | None = None, *, with_diagnosis: bool = False) -> None:
    """Stderr lines for a result that is not simply optimal; the diagnosis too where stdout does not show it."""
    label = f"{name}: " if name else ""
    if result.status == "time_limit":
        gap = result.objective.gap
        err_console().print(Text(f"{label}time limit reached: best plan found, within "
                                 f"{share_gap(gap) if gap is not None else 'an unknown gap'} of the optimum"))
    elif result.status == "infeasible":
        err_console().print(Text(f"{label}infeasible: no plan meets every constraint; see the diagnosis"))
    if with_diagnosis:
        for item in result.diagnosis:
            err_console().print(Text(f"{label}diagnosis: ") + Text(str(item.get("message", item))))


@app.command("compare")
@reported
def compare_command(
    scenario_files: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO", help="Two or more scenario files, each solved with its own catalog.",
        show_default=False)],
    format: Annotated[TableOrJson, typer.Option("--format", "-f", help="table or json.")] = TableOrJson.table,
    output: OutputOption = None,
    method: MethodOption = Method.fast,
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
    catalogs = Catalogs()
    scenarios = [load_scenario(path, {"solver.time_limit": time_limit, "solver.gap": gap}) for path in scenario_files]
    sources = list({id(catalog): catalog for catalog in map(catalogs.of, scenarios)}.values())
    jobs = [(next(k for k, source in enumerate(sources) if source is catalogs.of(scenario)), scenario)
            for scenario in scenarios]
    with executor_for(scheduler) as executor:
        solved = dict(solve_all(sources, jobs, method=method.value, executor=executor, workers=workers))
    missing = [scenario for position, scenario in enumerate(scenarios) if solved[position] is None]
    if missing:
        raise NoPlanError(missing[0].path, "no plan found within the time limit")
    results = [solved[position] for position in range(len(scenarios))]
    comparison = compare(results, tiers=[tier for scenario in scenarios for tier in scenario.tier_scheme])
    for name, result in zip(comparison.names, results):
        report_status(result, name, with_diagnosis=True)
    if format is TableOrJson.json:
        emit(json.dumps(comparison.to_dict(), indent=2, allow_nan=False) + "\n", output)
    else:
        show(comparison_view(comparison, results, scenarios), output)
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
    steps: Annotated[int, typer.Option("--steps", min=2, help="Number of budgets in the range.")] = 5,
    key: Annotated[str, typer.Option(
        "--key", help="The numeric scenario key to sweep, e.g. limits.platform.tiktok.max_share; "
                      "--values or --from/--to then give its values.")] = "budget.max",
    values: Annotated[str | None, typer.Option(
        "--values", help="Comma-separated values of --key.", show_default=False)] = None,
    catalog: CatalogOption = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw the frontier (objective vs budget, and the tier mix) to this PNG, SVG or PDF.",
        show_default=False)] = None,
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
    budget with no feasible plan is a point with status infeasible. Give either --budgets, or --from and
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
    levels = budget_levels(budgets if values is None else values, start, stop, steps,
                           "--budgets" if values is None else "--values", minimum=0 if key == "budget.max" else None)
    for path in (output, plot):
        check_writable(path)
    if plot is not None and plot.suffix.lower() not in PLOT_FORMATS:
        raise typer.BadParameter(f"use a file ending in {', '.join(PLOT_FORMATS)}", param_hint="--plot")
    scenario = load_scenario(scenario_file, {"catalog": catalog, "solver.time_limit": time_limit, "solver.gap": gap})
    source = Catalogs().of(scenario)
    with progress_bar(len(levels)) as advance, executor_for(scheduler) as executor:
        frontier = sweep(source, scenario, key=key, values=levels, method=method.value, workers=workers,
                         executor=executor, progress=advance)
    image = frontier_plot(frontier, plot.suffix.lower().lstrip(".")) if plot is not None else None
    if format is Format.json:
        emit(json.dumps(frontier.to_dict(), indent=2, allow_nan=False) + "\n", output)
    elif format is Format.csv:
        emit(frontier.to_frame().to_csv(index=False, lineterminator="\n"), output)
    else:
        show([frontier_table(frontier, scenario)], output)
    if image is not None:
        write_output(plot, image)
        err_console().print(Text(f"wrote {plot}"))


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
            scenario = load_scenario(path, {"catalog": catalog})
            source = catalogs.of(scenario)
            problem = prepare(source, scenario)
        except InfluError as error:
            print_error(error)
            failed = True
            continue
        sys.stdout.write(f"ok: {path} ({problem.n:,} eligible of {source.rows:,})\n")
    if failed:
        raise typer.Exit(EXIT_INPUT)


@catalog_app.command("generate")
@reported
def generate_command(
    rows: Annotated[int, typer.Option("--rows", min=1, help="Number of influencers.", show_default=False)],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="File to write: .csv, .parquet or .jsonl.", show_default=False)],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same bytes.")] = 0,
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
    try:
        write_catalog(generate_catalog(rows, seed=seed, segments=segments), output)
    except OSError as error:
        raise InfluError(output, f"cannot write: {error.strerror or error}") from None
    err_console().print(Text(f"wrote {output} ({rows:,} influencers, {segments} segments, seed {seed})"))


@catalog_app.command("describe")
@reported
def describe_command(
    path: Annotated[Path, typer.Argument(metavar="CATALOG", help="Catalog file.", show_default=False)],
    tiers_from: Annotated[Path | None, typer.Option(
        "--tiers-from", help="Use this scenario's tier scheme instead of the default one.",
        show_default=False)] = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f", help="table or json.")] = TableOrJson.table,
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
    summary = describe(Catalog.load(path), scheme)
    if format is TableOrJson.json:
        emit(json.dumps(summary.to_dict(), indent=2, allow_nan=False) + "\n", None)
    else:
        show(summary_view(summary), None)


@app.command("schema")
@reported
def schema_command() -> None:
    """Print the JSON Schema of the scenario file format.

    Editors use it to complete and check scenario files (TOML tools such as Taplo and Even Better TOML
    accept a JSON Schema).

    Example:

      influmix schema > scenario.schema.json
    """
    sys.stdout.write(json.dumps(Scenario.json_schema(), indent=2) + "\n")


# --- renderers: Result ------------------------------------------------------------------------


def result_view(result: Result, scenario: Scenario) -> list[RenderableType]:
    """The table view of `solve`: headline, allocation, mix, coverage, binding constraints."""
    parts: list[RenderableType] = [headline(result, scenario)]
    if result.status == "infeasible":
        parts.append(diagnosis_table(result))
        return parts
    parts.append(allocation_table(result, scenario.currency))
    parts.append(Columns([mix_table(result, column, scenario.currency) for column in result.groups],
                         padding=(0, 2)))
    coverage = coverage_table(result)
    if coverage is not None:
        parts.append(coverage)
    outcomes = outcome_table(result)
    if outcomes is not None:
        parts.append(outcomes)
    parts.append(constraints_table(result))
    return parts


def headline(result: Result, scenario: Scenario) -> Group:
    objective, totals, catalog, solver = result.objective, result.totals, result.catalog, result.solver
    style = {"optimal": "bold green", "time_limit": "bold yellow"}.get(result.status, "bold red")
    title = Text(result.scenario.name, style="bold") + Text("  ") + Text(result.status, style=style)
    lines = [title]
    if objective.value is not None:
        line = Text(f"{objective.sense} {objective.metric}: ") + Text(
            metric_value(objective.metric, objective.value), style="bold")
        if objective.bound is not None:
            line += Text(f"  (bound {metric_value(objective.metric, objective.bound)}, gap {share_gap(objective.gap)})")
        lines.append(line)
        lines.append(Text(
            f"spend {money(totals.spend)} {scenario.currency} · {totals.influencers} influencers · "
            f"{totals.posts} posts · reach {count(totals.reach)} · engagements {count(totals.engagements)} · "
            f"CPE {rate(totals.cpe)} · CPM {rate(totals.cpm, 2)}"))
    else:
        lines.append(Text(f"{objective.sense} {objective.metric}: no plan meets every constraint"))
    lines.append(Text(
        f"catalog {relative(catalog.path)}: {catalog.rows:,} rows, {catalog.eligible:,} eligible · "
        f"{solver.name} ({solver.method}) {solver.build_seconds + solver.solve_seconds:.2f} s", style="dim"))
    return Group(*lines, Text(""))


def share_gap(gap: float | None) -> str:
    return "-" if gap is None else f"{gap:.3%}"


def allocation_table(result: Result, currency: str) -> Table:
    totals = result.totals
    table = Table(title=f"Plan: {totals.influencers} influencers, {totals.posts} posts", title_justify="left",
                  box=box.SIMPLE_HEAD, show_footer=True, footer_style="bold")
    columns = [
        ("id", "total", "left"), ("name", "", "left"), ("platform", "", "left"), ("tier", "", "left"),
        ("niche", "", "left"), ("followers", "", "right"), ("posts", str(totals.posts), "right"),
        (f"spend ({currency})", money(totals.spend), "right"), ("reach", count(totals.reach), "right"),
        ("engagements", count(totals.engagements), "right"), ("CPE", rate(totals.cpe), "right"),
    ]
    for header, footer, justify in columns:
        table.add_column(header, footer, justify=justify, no_wrap=header != "name")
    for row in result.allocation_records:
        table.add_row(row["id"], row["name"], row["platform"], row["tier"], row["niche"], count(row["followers"]),
                      str(row["posts"]), money(row["spend"]), count(row["reach"]), count(row["engagements"]),
                      rate(row["cpe"]))
    return table


def mix_table(result: Result, column: str, currency: str) -> Table:
    table = Table(title=f"Mix by {column}", title_justify="left", box=box.SIMPLE_HEAD)
    for header in (column, "infl.", "posts", f"spend ({currency})", "share"):
        table.add_column(header, justify="left" if header == column else "right")
    for row in sorted(result.groups[column], key=lambda row: -row.spend):
        table.add_row(row.value, str(row.influencers), str(row.posts), money(row.spend), share(row.share))
    return table


def coverage_table(result: Result) -> Table | None:
    """Segments with a floor, then the rest (achieved only)."""
    if not result.coverage:
        return None
    table = Table(title="Audience coverage (reach in segment)", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("segment", "target", "achieved", ""):
        table.add_column(header, justify="left" if header == "segment" else "right")
    rows = sorted(result.coverage, key=lambda row: row.target is None)
    for row in rows:
        met = "" if row.target is None else ("met" if row.achieved >= row.target * (1 - 1e-9) else "short")
        table.add_row(row.segment, count(row.target), count(row.achieved), met)
    return table


def constraints_table(result: Result) -> RenderableType:
    binding = [row for row in result.constraints if row.binding]
    if not binding:
        return Text("No binding constraints.\n")
    table = Table(title="Binding constraints", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("constraint", "value", "", "bound"):
        table.add_column(header, justify="left" if header in ("constraint", "") else "right")
    for row in binding:
        table.add_row(row.name, number(row.lhs), row.sense, number(row.rhs))
    return table


def diagnosis_table(result: Result) -> RenderableType:
    """Whatever the diagnosis holds: its message first, any other keys after it."""
    if not result.diagnosis:
        return Text("No diagnosis available.\n")
    extra = list(dict.fromkeys(key for item in result.diagnosis for key in item if key != "message"))
    table = Table(title="Diagnosis: what to relax", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("message")
    for key in extra:
        table.add_column(key.replace("_", " "), justify="right")
    for item in result.diagnosis:
        table.add_row(str(item.get("message", "")), *(plain_cell(item.get(key)) for key in extra))
    return table


def plain_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# --- renderers: comparison, frontier, catalog summary ---------------------------------------------


def comparison_view(comparison: Comparison, results: Sequence[Result],
                    scenarios: Sequence[Scenario]) -> list[RenderableType]:
    figures = Table(title="Key figures", title_justify="left", box=box.SIMPLE_HEAD)
    figures.add_column("")
    for name in comparison.names:
        figures.add_column(name, justify="right")
    currencies = {scenario.currency for scenario in scenarios}
    unit = f" ({currencies.pop()})" if len(currencies) == 1 else ""
    labels = {"spend": f"spend{unit}", "cpe": "CPE", "cpm": "CPM", "objective": "objective value"}
    formats = {"objective": None, "spend": money, "cpe": rate, "cpm": lambda v: rate(v, 2)}
    for figure, row in comparison.figures.iterrows():
        if figure.startswith(TIER_PREFIX):
            cells = [share(value) for value in row]
            label = f"share {figure.removeprefix(TIER_PREFIX)}"
        elif figure == "objective":
            cells = [metric_value(result.objective.metric, value) for result, value in zip(results, row)]
            label = labels[figure]
        elif (outcome := outcome_figure(figure, row)) is not None:
            label, cells = outcome
        elif figure in ("status", "metric"):
            cells = [str(value) for value in row]
            label = figure
        else:
            cells = [formats.get(figure, count)(value) for value in row]
            label = labels.get(figure, figure)
        figures.add_row(label, *cells)
    parts: list[RenderableType] = [figures]
    if comparison.membership:
        posts = {(name, row["id"]): row for name, result in zip(comparison.names, results)
                 for row in result.allocation_records}
        members = Table(title=f"In some plans, not all ({len(comparison.membership)} influencers; cells: posts)",
                        title_justify="left", box=box.SIMPLE_HEAD)
        for header in ("id", "name", "tier"):
            members.add_column(header)
        for name in comparison.names:
            members.add_column(name, justify="right")
        for id_, plans in comparison.membership.items():
            first = posts[(plans[0], id_)]
            members.add_row(id_, first["name"], first["tier"], *(
                str(posts[(name, id_)]["posts"]) if (name, id_) in posts else "-" for name in comparison.names))
        parts.append(members)
    else:
        parts.append(Text("Every plan books the same influencers."))
    return parts


def frontier_table(frontier: Frontier, scenario: Scenario) -> Table:
    """One row per budget; the objective first, then the figures that are not the objective, then the tier mix."""
    axis = "budget" if frontier.key == "budget.max" else frontier.key
    table = Table(title=f"{frontier.scenario}: {frontier.sense} {frontier.metric} by {axis} ({scenario.currency})",
                  title_justify="left", box=box.SIMPLE_HEAD,
                  caption="tier columns: share of spend" if frontier.tiers else None, caption_justify="left")
    figures = {"spend": ("spend", money), "engagements": ("engagements", count), "reach": ("reach", count)}
    shown = {key: value for key, value in figures.items() if key != {"cost": "spend"}.get(frontier.metric,
                                                                                         frontier.metric)}
    headers = [axis, "status", frontier.metric, f"per extra {frontier.marginal_per:,g}", *(label for label, _ in shown.values()),
               "infl.", "CPE", *frontier.tiers]
    for header in headers:
        table.add_column(header, justify="left" if header == "status" else "right")
    for point in frontier.points:
        table.add_row(
            count(point.value) if axis == "budget" else f"{point.value:,.6g}", point.status, metric_value(frontier.metric, point.objective), rate(point.marginal, 1),
            *(form(getattr(point, key)) for key, (_, form) in shown.items()), count(point.influencers),
            rate(point.cpe),
            *(share(point.tier_shares.get(tier, 0.0)) if point.has_plan else "-" for tier in frontier.tiers))
    return table


PLOT_FORMATS = (".png", ".svg", ".pdf")


def frontier_plot(frontier: Frontier, kind: str) -> bytes:
    """Objective vs budget above, the tier mix of each plan as stacked bars below."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    axis = "budget" if frontier.key == "budget.max" else frontier.key
    budgets = [point.value for point in frontier.points]
    planned = [point for point in frontier.points if point.has_plan]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=(3, 2))
    top.plot([p.value for p in planned], [p.objective for p in planned], marker="o", color="#1f5fa8")
    for point in frontier.points:
        if not point.has_plan:
            top.axvline(point.value, color="#c0392b", linestyle=":", linewidth=1)
    top.set_ylabel(frontier.metric.replace("_", " "))
    top.set_title(f"{frontier.scenario}: {frontier.sense} {frontier.metric.replace('_', ' ')} by {axis}")
    top.grid(alpha=0.3)
    if all(point.objective >= 0 for point in planned):
        top.set_ylim(bottom=0)
    top.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    spacing = min((b - a for a, b in zip(budgets, budgets[1:])), default=max(budgets[0], 1.0))
    base = [0.0] * len(planned)
    colours = plt.get_cmap("viridis")
    for k, tier in enumerate(frontier.tiers):
        heights = [p.tier_shares.get(tier, 0.0) for p in planned]
        bottom.bar([p.value for p in planned], heights, width=0.6 * spacing, bottom=base, label=tier,
                   color=colours(k / max(len(frontier.tiers) - 1, 1)))
        base = [b + h for b, h in zip(base, heights)]
    bottom.set_ylabel("share of spend")
    bottom.set_ylim(0, 1)
    bottom.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    bottom.set_xlabel(axis)
    bottom.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}" if axis == "budget" else "{x:,.4g}"))
    if frontier.tiers:
        bottom.legend(title="tier", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=120, metadata={"Software": None} if kind == "png" else None)
    plt.close(figure)
    return buffer.getvalue()


def summary_view(summary: CatalogSummary) -> list[RenderableType]:
    lines = Text(f"{relative(summary.source)}: {summary.rows:,} influencers; segments: "
                 f"{', '.join(summary.segments) or 'none'}\n")
    tiers = ", ".join(f"{tier} {bound:,.0f}" for tier, bound in summary.tiers.items())
    lines += Text(f"tiers (lower bound of followers): {tiers}\n")
    overall = summary.overall
    lines += Text(f"medians: followers {count(overall['followers'])}, engagement rate "
                  f"{share(overall['engagement_rate'])}, cost per post {money(overall['cost_per_post'])}, "
                  f"CPE {rate(overall['cpe'])}\n")
    parts: list[RenderableType] = [lines]
    for grouping, frame in summary.groups.items():
        table = Table(title=f"By {grouping}", title_justify="left", box=box.SIMPLE_HEAD)
        for header in (grouping, "influencers", "share", "median followers", "median eng. rate",
                       "median cost/post", "median CPE"):
            table.add_column(header, justify="left" if header == grouping else "right")
        for value, row in frame.iterrows():
            table.add_row(str(value), count(row["influencers"]), share(row["share"]), count(row["followers"]),
                          share(row["engagement_rate"]), money(row["cost_per_post"]), rate(row["cpe"]))
        parts.append(table)
    return parts


if __name__ == "__main__":
    app()
