"""One run at a time in a run folder: a lock held for as long as a run writes there.

An advisory lock (`flock`; on Windows `msvcrt.locking`) on `.lock`, which
also records the holder's process id for the message. The kernel drops the
lock when its process dies, however it dies, so a lock left by a killed run
never blocks the next one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from archdsl.train.errors import TrainError

LOCK = ".lock"


class RunLock:
    def __init__(self, out: Path) -> None:
        self.path = out / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Hold the folder's lock; TrainError naming the process that holds it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise TrainError(
                f"cannot write in the run folder {self.path.parent}: {exc.strerror or exc}"
            ) from None
        try:
            _lock(fd)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise TrainError(
                f"another run ({who}) is writing to {self.path.parent}; "
                "wait for it to finish, or choose another folder with --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock(fd: int) -> None:
    """Lock the open file without waiting; OSError when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
