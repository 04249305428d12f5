"""`log tensorboard`: each finished epoch's scalars as TensorBoard events in the run folder.

`RUN/tensorboard/` gets, per epoch (the events' step), the losses and the
task's metrics as `loss/train`, `loss/val`, `acc/train`, `acc/val` (one chart
per quantity, both splits in it), and `lr`, `images_per_s`, `seconds`. A
resumed run purges what the interrupted one logged from the epoch it redoes
on. Only the main process logs. torch writes the events; it needs the
`tensorboard` package, an optional extra.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archdsl.train.errors import TrainError

FOLDER = "tensorboard"
INSTALL = "pip install 'archdsl[tensorboard]'"
_NOT_SCALARS = ("epoch", "step")


def missing(log: str) -> str | None:
    """Why `log` cannot be written here (its package is not installed), or None."""
    if log != "tensorboard":
        return None
    try:
        found = importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"`log tensorboard` needs the tensorboard package: {INSTALL}"


class EpochLog:
    """Where else a run logs its epochs: here, nowhere."""

    @contextlib.contextmanager
    def from_epoch(self, epoch: int) -> Iterator[None]:
        """Open for the epochs from `epoch` on, closed when the run leaves."""
        yield

    def write(self, record: dict[str, Any]) -> None:
        """One finished epoch's record, as metrics.jsonl has it."""


class TensorBoardLog(EpochLog):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writer: Any = None

    @contextlib.contextmanager
    def from_epoch(self, epoch: int) -> Iterator[None]:
        from torch.utils.tensorboard import SummaryWriter

        # A resumed run first drops the events of the epochs it will redo.
        self.writer = SummaryWriter(str(self.folder), purge_step=epoch if epoch > 1 else None)
        try:
            yield
        finally:
            self.writer.close()
            self.writer = None

    def write(self, record: dict[str, Any]) -> None:
        for key, value in record.items():
            if key not in _NOT_SCALARS:
                self.writer.add_scalar(tag(key), value, record["epoch"])
        self.writer.flush()


def tag(key: str) -> str:
    """`train_loss` is `loss/train`, so that TensorBoard draws both splits in one chart."""
    split, _, name = key.partition("_")
    return f"{name}/{split}" if split in ("train", "val") and name else key


def open_log(log: str, out: Path, main: bool) -> EpochLog:
    """The run's log; TrainError, before anything is written, when it cannot be written."""
    problem = missing(log)
    if problem is not None:
        raise TrainError(problem)
    return TensorBoardLog(out / FOLDER) if log == "tensorboard" and main else EpochLog()
