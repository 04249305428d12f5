"""Files that are either wholly old or wholly new, whenever the process dies.

Every write and rename of a run folder passes a `crash_point()`: with
`ARCHDSL_CRASH_AT=k` in the environment the process SIGKILLs itself at the
k-th one, so a test can kill a run at each of them in turn.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

CRASH_AT = "ARCHDSL_CRASH_AT"
_passed = 0


def crash_point() -> None:
    """Die here, at once and without cleaning up, when the environment says so."""
    global _passed
    at = os.environ.get(CRASH_AT)
    if not at:
        return
    _passed += 1
    if _passed == int(at):
        os.kill(os.getpid(), signal.SIGKILL)


def temporary_name(path: Path) -> Path:
    """Where `path` is prepared before a rename; what `remove_temporaries` clears."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_durable(path: Path, data: bytes) -> None:
    """Write a new file and flush it to disk (a crash may leave it cut short)."""
    crash_point()
    with path.open("wb") as f:
        f.write(data[: len(data) // 2])
        crash_point()
        f.write(data[len(data) // 2 :])
        f.flush()
        os.fsync(f.fileno())
    crash_point()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, rename it over."""
    tmp = temporary_name(path)
    try:
        write_durable(tmp, data)
        os.replace(tmp, path)
        crash_point()
    finally:
        tmp.unlink(missing_ok=True)
    sync_folder(path.parent)


def link_atomic(link: Path, target: str) -> None:
    """Make `link` a symbolic link to `target`, replacing whatever was there in one rename."""
    tmp = temporary_name(link)
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(target, tmp)
        crash_point()
        os.replace(tmp, link)
        crash_point()
    finally:
        tmp.unlink(missing_ok=True)
    sync_folder(link.parent)


def remove_temporaries(folder: Path) -> None:
    """Temporary files a killed process left in `folder`."""
    for path in folder.glob(".*.tmp"):
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable (POSIX; Windows has no folder handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
