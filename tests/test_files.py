"""Files in and out (issue 14 items 1 and 5): outputs replace only regular files, inputs are
regular files of bounded size. Special files are made in a tmp folder; /dev/null is only
ever checked, never written."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from models import Catalog, CatalogError, InfluError, Scenario, ScenarioError
from models.files import is_stream, output_target, read_input, write_atomic

runner = CliRunner()
CATALOG = "id,platform,followers,engagement_rate,cost_per_post\na,instagram,10000,0.05,300\nb,tiktok,9000,0.05,200\n"
SCENARIO = 'catalog = "catalog.csv"\n[budget]\nmax = 500\n'


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "plan.toml").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- outputs -----------------------------------------------------------------------------------


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("old")
    path.chmod(0o600)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root writes another user's file")
def test_root_keeps_the_owner_of_a_replaced_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("old")
    os.chown(path, 4321, 4321)
    write_atomic(path, b"new")
    assert (path.stat().st_uid, path.stat().st_gid, path.read_bytes()) == (4321, 4321, b"new")


def test_a_hard_link_is_replaced_not_written_through(tmp_path):
    path, other = tmp_path / "plan.json", tmp_path / "other.json"
    path.write_text("old")
    os.link(path, other)
    write_atomic(path, b"new")
    assert (path.read_bytes(), other.read_bytes()) == (b"new", b"old")


def test_a_read_only_folder_is_refused_before_any_work(tmp_path, monkeypatch):
    """The temporary file goes beside the target: a folder its user may not write failed only after the solve."""
    folder = tmp_path / "signed"
    folder.mkdir()
    (folder / "plan.json").write_text("old")
    folder.chmod(0o555)
    if os.geteuid() == 0:      # root may write any folder: act as its owner would
        monkeypatch.setattr(os, "access", lambda target, mode: not (mode & os.W_OK and Path(target) == folder))
    for name in ("plan.json", "new.json"):
        with pytest.raises(InfluError, match=f"{name}: cannot write: folder .*signed is read-only"):
            output_target(folder / name)
    folder.chmod(0o755)
    assert (folder / "plan.json").read_text() == "old" and leftovers(folder) == []


@pytest.mark.parametrize("name", ["p" * 250 + ".json", "é" * 120 + ".json"], ids=["ascii", "two-byte"])
def test_a_name_of_up_to_255_bytes_is_written(tmp_path, name):
    """The temporary file's name had the target's in full: a long legal name failed after the whole solve."""
    write_atomic(tmp_path / name, b"data")
    assert (tmp_path / name).read_bytes() == b"data" and leftovers(tmp_path) == []


def test_a_new_file_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "plan.json", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o640


def test_a_symlink_is_followed_to_its_target(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert output_target(link) == target.resolve()


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "new.json")
    write_atomic(link, b"x")
    assert link.is_symlink() and (tmp_path / "new.json").read_bytes() == b"x"


@pytest.mark.parametrize("make, word", [
    (lambda p: fifo(p), "FIFO"),
    (lambda p: p.mkdir() or p, "folder"),
], ids=["fifo", "folder"])
def test_special_outputs_are_refused_and_left_alone(tmp_path, make, word):
    path = make(tmp_path / "out")
    with pytest.raises(InfluError, match=word) as caught:
        write_atomic(path, b"data")
    assert caught.value.file == str(path)
    assert not path.is_file() and leftovers(tmp_path) == []


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(fifo(tmp_path / "pipe"))
    with pytest.raises(InfluError, match="FIFO"):
        write_atomic(link, b"data")
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)


def test_dev_null_is_refused_before_any_write():
    # Only the check runs: it decides before a temporary file exists, so /dev/null is never touched.
    with pytest.raises(InfluError, match="character device"):
        output_target(Path("/dev/null"))


def test_a_device_node_is_left_a_device(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    with pytest.raises(InfluError, match="character device"):
        write_atomic(node, b"data")
    assert stat.S_ISCHR(node.stat().st_mode) and leftovers(tmp_path) == []


def test_a_read_only_file_is_refused_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "signed-off.json"
    path.write_text("old")
    path.chmod(0o444)
    if os.geteuid() == 0:      # root may write any file: act as its owner would
        monkeypatch.setattr(os, "access", lambda target, mode: not (mode & os.W_OK and Path(target) == path))
    with pytest.raises(InfluError, match="signed-off.json: cannot write: the file is read-only"):
        write_atomic(path, b"new")
    assert path.read_text() == "old" and leftovers(tmp_path) == []


def test_a_symlink_into_a_missing_folder_names_that_folder(tmp_path):
    (tmp_path / "plan.json").symlink_to(tmp_path / "gone" / "plan.json")
    with pytest.raises(InfluError, match=f"plan.json: cannot write: folder {tmp_path / 'gone'} does not exist"):
        output_target(tmp_path / "plan.json")      # it said: folder {tmp_path} does not exist


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(InfluError, match="does not exist"):
        output_target(tmp_path / "nowhere" / "plan.json")


def test_streams_are_written_through(capfdbinary):
    assert is_stream("-") and is_stream(Path("/dev/stdout")) and not is_stream("plan.json")
    write_atomic("-", b"hello\n")
    write_atomic(Path("/dev/stdout"), b"world\n")
    assert capfdbinary.readouterr().out == b"hello\nworld\n"


def test_solve_output_to_stdout(project):
    run = runner.invoke(cli.app, ["solve", "plan.toml", "--format", "json", "-o", "-"])
    assert run.exit_code == 0, run.output
    assert '"status": "optimal"' in run.stdout and "wrote" not in run.stderr


@pytest.mark.parametrize("command", [
    ["solve", "plan.toml", "--format", "json", "-o", "{out}"],
    ["catalog", "generate", "--rows", "5", "-o", "{out}"],
    ["sweep", "plan.toml", "--budgets", "300,500", "--plot", "{out}"],
], ids=["solve", "generate", "sweep-plot"])
def test_commands_refuse_a_fifo_output(project, command):
    # The suffix is right for each command, so the refusal is about the file's kind.
    out = fifo(project / ("out.png" if "--plot" in command else "out.csv"))
    run = runner.invoke(cli.app, [part.replace("{out}", out.name) for part in command])
    assert run.exit_code == 1, run.output
    assert f"{out.name}: is a FIFO (named pipe), not a regular file" in run.stderr
    assert stat.S_ISFIFO(out.stat().st_mode) and leftovers(project) == []


def test_solve_writes_through_a_symlink_keeping_the_mode(project):
    (project / "real.json").write_text("{}")
    (project / "real.json").chmod(0o600)
    (project / "plan.json").symlink_to("real.json")
    run = runner.invoke(cli.app, ["solve", "plan.toml", "--format", "json", "-o", "plan.json"])
    assert run.exit_code == 0, run.output
    assert (project / "plan.json").is_symlink() and '"optimal"' in (project / "real.json").read_text()
    assert stat.S_IMODE((project / "real.json").stat().st_mode) == 0o600


# --- inputs ------------------------------------------------------------------------------------


def test_read_input_limits_the_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2000)
    assert read_input(path, 2000, CatalogError) == b"x" * 2000
    with pytest.raises(CatalogError, match="the limit is"):
        read_input(path, 1000, CatalogError)


@pytest.mark.parametrize("special", ["/dev/zero", "link-to-zero", "fifo"])
def test_special_catalogs_are_refused_at_once(tmp_path, special):
    if special == "fifo":
        path = fifo(tmp_path / "catalog.csv")
    elif special == "link-to-zero":
        path = tmp_path / "catalog.csv"
        path.symlink_to("/dev/zero")
    else:
        path = Path(special)
    with pytest.raises(CatalogError, match="not a regular file"):
        run_briefly(Catalog.load, path)


@pytest.mark.parametrize("which", ["scenario", "extends"])
def test_special_scenarios_are_refused_at_once(tmp_path, which):
    if which == "scenario":
        path = fifo(tmp_path / "plan.toml")
    else:
        (tmp_path / "zero.toml").symlink_to("/dev/zero")
        path = tmp_path / "plan.toml"
        path.write_text('extends = "zero.toml"\n')
    with pytest.raises(ScenarioError, match="not a regular file"):
        run_briefly(Scenario.load, path)


def test_a_fifo_catalog_on_the_command_line_exits_1(project):
    fifo(project / "pipe.csv")
    run = runner.invoke(cli.app, ["validate", "plan.toml", "--catalog", "pipe.csv"])
    assert run.exit_code == 1 and "not a regular file" in run.stderr


def run_briefly(function, *args):
    """Call `function` in a thread; a blocked or endless read fails the test after 10 s instead of hanging it."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), f"{function.__name__} blocked on a special file"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_an_extends_chain_is_capped(tmp_path):
    for level in range(40):
        (tmp_path / f"s{level}.toml").write_text(f'extends = "s{level + 1}.toml"\n' if level < 39 else "")
    with pytest.raises(ScenarioError, match="extends chain is longer than 32 files"):
        Scenario.load(tmp_path / "s0.toml")
    assert Scenario.load(tmp_path / "s8.toml").extends == "s9.toml"  # 32 files load


@pytest.mark.parametrize("base, child, sense, metric", [
    ('maximize = "reach"', 'minimize = "cost"', "minimize", "cost"),
    ('minimize = "cost"', 'maximize = "reach"', "maximize", "reach"),
    ('maximize = "targeted_reach"\nsegment_weights = { f = 2.0 }', 'minimize = "cost"', "minimize", "cost"),
], ids=["to-minimize", "to-maximize", "drops-weights"])
def test_extends_can_switch_the_objective(tmp_path, base, child, sense, metric):
    (tmp_path / "base.toml").write_text(f"[objective]\n{base}\n")
    (tmp_path / "child.toml").write_text(f'extends = "base.toml"\n[objective]\n{child}\n')
    objective = Scenario.load(tmp_path / "child.toml").objective
    assert (objective.sense, objective.metric, objective.segment_weights) == (sense, metric, {})


def test_extends_keeps_weights_for_targeted_reach(tmp_path):
    (tmp_path / "base.toml").write_text('[objective]\nmaximize = "targeted_reach"\nsegment_weights = { f = 2.0 }\n')
    (tmp_path / "child.toml").write_text('extends = "base.toml"\n[objective]\nmaximize = "targeted_reach"\n')
    assert Scenario.load(tmp_path / "child.toml").objective.segment_weights == {"f": 2.0}


@pytest.mark.parametrize("text, message", [
    ("a" + ".b" * 100_000 + " = 1\n", "line 1: a dotted key of more than 32 parts"),   # quadratic in tomllib
    ("x = 1\n[" + "a." * 40 + "a]\n", "line 2: a dotted key of more than 32 parts"),
    ("q = " + "[" * 5_000 + "\n", "nested hundreds deep"),
    ("q = " + "{a=" * 5_000 + "\n", "nested hundreds deep"),
], ids=["dotted-key", "table-header", "arrays", "inline-tables"])
def test_a_deeply_nested_scenario_is_refused_quickly(tmp_path, text, message):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        run_briefly(Scenario.load, path)


def test_a_long_dotted_key_in_a_string_is_just_text(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(f'description = "{"a." * 50}" # {"b." * 50}\n[limits.tier.micro]\nmin_share = 0.4\n')
    assert Scenario.load(path).description == "a." * 50


def test_deeply_nested_json_inputs_are_located(project):
    (project / "deep.jsonl").write_text('{"id": ' + "[" * 100_000 + "\n")
    (project / "plan.json").write_text('{"allocation": ' + "[" * 100_000 + "\n")
    run = runner.invoke(cli.app, ["validate", "plan.toml", "--catalog", "deep.jsonl"])
    assert run.exit_code == 1 and "deep.jsonl: line 1: JSON nested hundreds deep" in run.stderr
    run = runner.invoke(cli.app, ["solve", "plan.toml", "--previous", "plan.json"])
    assert run.exit_code == 1 and "plan.json: not a plan: JSON nested hundreds deep" in run.stderr


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_arrow_reads_from_its_own_memory_not_a_python_file(tmp_path, monkeypatch, suffix):
    # Reading from io.BytesIO, Arrow's threads could release it after the read, and at exit that
    # aborted the interpreter (exit -6, 1 run in ~40 under load).
    import pyarrow as pa
    from models import reading
    from models.synthetic import generate_catalog, write_catalog

    sources = []
    for module, name in ((reading.pa_csv, "read_csv"), (reading.pa_json, "read_json"), (reading.pq, "read_table")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda source, *a, _original=original, **k: (
            sources.append(source), _original(source, *a, **k))[1])
    write_catalog(generate_catalog(20, seed=1), tmp_path / f"catalog{suffix}")
    assert Catalog.load(tmp_path / f"catalog{suffix}").rows == 20
    assert sources and all(isinstance(source, pa.NativeFile) for source in sources)
