"""Reading a spec file: only a regular file, only up to a size, never blocking.

Whatever a path names (a fifo, a device such as /dev/zero, a directory, a
symlink loop, a file too large to check in a blink), the answer is the text
or an `Unreadable` whose message names the file but never quotes it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from archdsl.syntax.limits import MAX_SOURCE_BYTES


class Unreadable(Exception):
    """A spec file that cannot be read as text; the message says why, naming the file."""


def resolve(path: Path, name: str) -> Path:
    """The absolute path without symlinks; Unreadable for a NUL in it or a symlink
    loop. `name` is how to call the file."""
    try:
        return path.resolve()
    except ValueError:  # an embedded NUL: no file can have that name
        raise Unreadable("a file name cannot hold a NUL character") from None
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before 3.13)
        raise Unreadable(f"cannot resolve {name}: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "its symlinks loop" if "loop" in str(exc).lower() else "not a usable path"


def read_source(path: Path, name: str) -> str:
    """The text of a spec file (a leading byte order mark dropped); `name` is how to call it.

    The file is opened without blocking and checked to be a regular file before
    a byte is read, and reading stops past MAX_SOURCE_BYTES.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError:
        raise Unreadable(f"{name} is not a valid file name (it holds a NUL character)") from None
    except FileNotFoundError:
        raise Unreadable(f"cannot find {name}") from None
    except IsADirectoryError:
        raise Unreadable(f"{name} is a directory, not a spec file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable(f"cannot read {name}: its symlinks loop") from None
        raise Unreadable(f"cannot read {name}: {_why(exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable(f"{name} is a directory, not a spec file")
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{name} is not a regular file (a device, fifo or socket)")
        if info.st_size > MAX_SOURCE_BYTES:
            raise Unreadable(_too_large(name))
        data = _read_up_to(fd, MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise Unreadable(f"cannot read {name}: {_why(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SOURCE_BYTES:
        raise Unreadable(_too_large(name))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(f"{name} is not UTF-8 text") from None


def _read_up_to(fd: int, limit: int) -> bytes:
    """At most `limit` bytes: the file may grow between fstat and read."""
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := os.read(fd, limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _too_large(name: str) -> str:
    return f"{name} is larger than {MAX_SOURCE_BYTES // 2**20} MiB, the limit for a spec file"
