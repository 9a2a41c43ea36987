"""Files in and out: inputs are regular files of bounded size; outputs appear whole or not at all.

An output path that names a stream the user clearly means (`-`, /dev/stdout) is written
through; a symlink is followed to its target; anything else that exists and is not a regular
file (a device, FIFO, socket or folder) is refused rather than replaced.
"""

from __future__ import annotations

import codecs
import os
import secrets
import stat
import sys
from pathlib import Path

from models.errors import InfluError

STREAMS = ("-", "/dev/stdout")
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),  # UTF-32 LE starts like UTF-16 LE
             (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def is_stream(path: str | Path) -> bool:
    """`-` or /dev/stdout: the result goes to standard output."""
    return str(path) in STREAMS


def kind(mode: int) -> str:
    """What a file that is not regular is, in words."""
    return next((word for test, word in KINDS if test(mode)), "not a regular file")


def output_target(path: str | Path) -> Path:
    """The regular file that writing to `path` replaces (a symlink's target), checked before any work.

    Raises InfluError naming `path` when it is a folder, a device, a FIFO or a socket, a file
    its user may not write, or when its folder does not exist.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise InfluError(path, f"cannot write: {error.strerror or error}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InfluError(path, "is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise InfluError(path, f"is {kind(mode)}, not a regular file; influmix replaces only regular files "
                               "(use -o - for standard output)")
    if not target.parent.is_dir():
        folder = target.parent if path.is_symlink() else path.parent    # a link's target's folder
        raise InfluError(path, f"cannot write: folder {folder} does not exist")
    if mode is not None and not os.access(target, os.W_OK):   # a rename would replace it all the same
        raise InfluError(path, "cannot write: the file is read-only")
    if not os.access(target.parent, os.W_OK | os.X_OK):    # the temporary file goes beside the target
        raise InfluError(path, f"cannot write: folder {target.parent} is read-only")
    return target


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: to standard output for `-` and /dev/stdout,
    else to a temporary file beside the target (a symlink's target) that then replaces it.

    A replaced file keeps its permission bits (and, for root, its owner); a new one honours the
    umask (0o666), as a plain open() would. A hard link is replaced like any regular file: the
    other names keep the old content. Raises InfluError for a target that is not a regular file, OSError when the
    write fails; on any failure the temporary file is removed and the target is left as it was.
    """
    if is_stream(path):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = output_target(path)
    existing = os.stat(target) if target.exists() else None
    # a short name: with the target's in full, one of 241 bytes and more was too long
    temporary = target.parent / f".{target.name[:32]}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if existing is not None:
                keep_attributes(handle.fileno(), existing)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def keep_attributes(descriptor: int, existing: os.stat_result) -> None:
    """The replaced file's permission bits and, when root writes another user's file, its owner."""
    os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))
    if os.geteuid() == 0 and (existing.st_uid, existing.st_gid) != (0, 0):
        os.fchown(descriptor, existing.st_uid, existing.st_gid)


def read_input(path: str | Path, limit: int, error: type[InfluError]) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises `error` naming `path`.

    Opened without blocking, so a FIFO is refused at once rather than waited on; a device
    such as /dev/zero (or a link to it) is refused before a byte is read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as failure:
        raise error(path, f"cannot read the file ({failure.strerror or failure})") from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise error(path, f"is {kind(status.st_mode)}, not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        if status.st_size > limit:
            raise error(path, f"is {status.st_size / 2**20:,.1f} MiB; the limit is {limit / 2**20:,.0f} MiB")
        try:
            data = handle.read(limit + 1)
        except OSError as failure:
            raise error(path, f"cannot read the file ({failure.strerror or failure})") from None
    if len(data) > limit:
        raise error(path, f"is larger than the limit of {limit / 2**20:,.0f} MiB")
    return data


def wide_encoding(data: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when the bytes open with that byte-order mark (a spreadsheet's
    "Unicode text", Notepad's "Unicode"), else None."""
    return next((name for bom, name in WIDE_BOMS if data.startswith(bom)), None)
