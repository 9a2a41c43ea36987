"""Where a rendered result goes: stdout, or a file written whole or not at all."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from models.errors import InfluError
from models.files import is_stream, output_target, write_atomic
from reports.terminal import message, to_stdout
from reports.text import printable_lines


def check_writable(path: Path | None) -> None:
    """Fail before any work when `path` cannot be written: a regular file (or new name) in an existing
    folder, or standard output (`-`, /dev/stdout)."""
    if path is not None and not is_stream(path):
        output_target(path)


def check_not_input(path: Path | None, inputs: Iterable[Path | None]) -> None:
    """Refuse an output file that is one of the command's inputs (a scenario, a base file, a catalog,
    a previous plan): writing the result would replace it."""
    if path is None or is_stream(path) or not path.exists():
        return
    for source in inputs:
        if source is not None and source.exists() and os.path.samefile(path, source):
            raise InfluError(path, f"is an input of this command ({source}); write the result to another file")


def write_output(path: Path, data: bytes) -> None:
    """Write the whole output at once (temporary file, then rename); an OSError names the file."""
    try:
        write_atomic(path, data)
    except OSError as error:
        raise InfluError(path, f"cannot write: {error.strerror or error}") from None


def deliver(data: str | bytes, output: Path | None) -> None:
    """Text on stdout (`-o -` too), or text or bytes into `output` (whole or not at all), said on stderr."""
    if output is None or (is_stream(output) and isinstance(data, str)):
        text = data if isinstance(data, str) else data.decode("utf-8")
        to_stdout(printable_lines(text) if sys.stdout.isatty() else text)   # no escape sequence reaches a terminal
        return
    write_output(output, data.encode("utf-8") if isinstance(data, str) else data)
    if not is_stream(output):
        message(f"wrote {output}")
