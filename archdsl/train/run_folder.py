"""The run folder before training starts: a fresh one, or the checkpoint to resume.

Rank 0 alone touches the folder: it takes the folder's lock, clears what a
killed run left half-written, and shares what it found (or why it refuses)
with every other process, so they all fail alike or start alike. A resume is
refused, saying what changed, when the model or the configuration differs
from the checkpoint's. A fresh run that fails before training leaves no
folder behind.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archdsl.train import checkpoint, metrics
from archdsl.train.atomic import write_atomic
from archdsl.train.checkpoint import Checkpoint
from archdsl.train.distributed import World, share
from archdsl.train.errors import TrainError
from archdsl.train.fingerprint import changes, digest
from archdsl.train.run_lock import LOCK, RunLock

CONFIG_JSON = "config.json"


@dataclass(frozen=True)
class RunOptions:
    out: Path
    resume: bool = False
    # The command that started the run, to tell the user how to resume it.
    command: str = "archdsl train"
    # How to continue, where not `command --resume` (from Python: `resume=True`).
    resume_hint: str = ""

    @property
    def resume_command(self) -> str:
        return self.resume_hint or f"{self.command} --resume"


@dataclass
class RunFolder:
    out: Path
    resume: Checkpoint | None = None
    lock: RunLock | None = None  # rank 0's
    created: bool = False  # this run made the folder
    started: bool = False  # training began: the folder is kept whatever happens next

    def begin(self, saved: dict[str, Any]) -> None:
        """A fresh run's config.json and empty metrics, once it is ready to train."""
        if self.lock is not None and self.resume is None:
            try:
                write_atomic(self.out / CONFIG_JSON, json.dumps(saved, indent=1).encode())
                metrics.rewrite(self.out, [])
            except OSError as exc:
                raise TrainError(
                    f"cannot write in the run folder {self.out}: {exc.strerror}"
                ) from None
        self.started = True

    def close(self) -> None:
        """Let go of the folder; one that never began training is removed if this run made it."""
        if self.lock is None:
            return
        if not self.started and self.resume is None:
            if self.created:
                shutil.rmtree(self.out, ignore_errors=True)
            else:
                (self.out / LOCK).unlink(missing_ok=True)
        self.lock.release()
        self.lock = None


def open_run_folder(
    options: RunOptions, world: World, layers: dict[str, str], values: dict[str, Any]
) -> RunFolder:
    """The locked folder, with the checkpoint to resume from; TrainError when refused."""
    folder = RunFolder(options.out)
    found: dict[str, Any] | None = None
    if world.main:
        try:
            _open(folder, options.resume, layers, values)
            found = {"resume": folder.resume}
        except TrainError as exc:
            folder.close()
            found = {"error": str(exc)}
    found = share(found, world)
    assert found is not None
    if "error" in found:
        raise TrainError(found["error"])
    folder.resume = found["resume"]
    return folder


def _open(folder: RunFolder, resume: bool, layers: dict[str, str], values: dict[str, Any]) -> None:
    out = folder.out
    if resume and not out.is_dir():
        raise TrainError(f"there is no run to resume in {out}: the folder does not exist")
    folder.created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainError(f"cannot make the run folder {out}: {exc.strerror}") from None
    lock = RunLock(out)
    lock.acquire()
    folder.lock = lock  # only now is the folder this run's to tidy
    try:
        checkpoint.clean(out)
    except OSError as exc:
        raise TrainError(f"cannot tidy the run folder {out}: {exc.strerror}") from None
    if resume:
        folder.resume = resumable(out, layers, values)
    elif checkpoint.committed(out) is not None:
        raise TrainError(
            f"{out} already holds a run; add --resume to continue it, "
            "or choose another folder with --out"
        )


def resumable(out: Path, layers: dict[str, str], values: dict[str, Any]) -> Checkpoint:
    found = checkpoint.load(out)
    info = found.info
    problems = []
    if info["model"]["hash"] != digest(layers):
        lines = changes(info["model"]["layers"], layers)
        problems.append("the model changed:\n    " + "\n    ".join(lines))
    if info["config"]["hash"] != digest(values):
        lines = changes(info["config"]["values"], values)
        problems.append("the training configuration changed:\n    " + "\n    ".join(lines))
    if problems:
        raise TrainError(
            f"cannot resume the run in {out}: "
            + "; ".join(problems)
            + "\n  undo the change, or start a new run with another --out"
        )
    try:
        metrics.rewrite(out, info["history"])
    except OSError as exc:
        raise TrainError(f"cannot write in the run folder {out}: {exc.strerror}") from None
    return found
