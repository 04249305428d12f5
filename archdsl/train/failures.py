"""How a launched run ended badly, said once: which process, how, and how to continue.

When one process of a run dies, the others fail on their next collective
("Connection reset by peer") and the elastic agent stops the rest with
SIGTERM, so most failures the agent reports are consequences. A process
records an error of its own in the file the agent names
(`TORCHELASTIC_ERROR_FILE`, elastic's format, plus the time to the
nanosecond) and exits with `RECORDED`, printing nothing; the launcher then
names the cause: the first process seen killed by a signal other than the
agent's SIGTERM, else the earliest recorded error. Exit codes 1 and 128 + a
signal are the trainer's own endings (rank 0 has printed why), passed on.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archdsl.train import checkpoint
from archdsl.train.errors import TrainError
from archdsl.train.run_folder import RunOptions
from archdsl.train.run_state import read_run_state

ERROR_FILE = "TORCHELASTIC_ERROR_FILE"
RECORDED = 70  # EX_SOFTWARE: the process wrote its error to ERROR_FILE


class Failure(Protocol):
    """What torch's elastic agent reports of one failed process (its ProcessFailure)."""

    pid: int
    exitcode: int
    timestamp: int  # when the agent saw it end, in seconds
    error_file_data: dict[str, object]


def record(exc: BaseException) -> bool:
    """Write `exc` for the agent, from inside its `except`; False when no agent asked for it."""
    path = os.environ.get(ERROR_FILE)
    if not path:
        return False
    info = {
        "py_callstack": traceback.format_exc(),
        "timestamp": str(int(time.time())),
        "time_ns": time.time_ns(),
    }
    message = {"message": f"{type(exc).__name__}: {exc}", "extraInfo": info}
    Path(path).write_text(json.dumps({"message": message}))
    return True


@dataclass(frozen=True)
class Ending:
    code: int
    message: str | None  # None: the processes said it themselves


def explain(
    failures: Mapping[int, Failure], world_size: int, options: RunOptions, machines: int = 1
) -> Ending:
    """The run's exit code and the one message, for failures keyed by global rank."""
    # The agent kills with SIGKILL those its SIGTERM did not stop within 30 s (a process
    # stuck in an NCCL collective): the first seen killed is the cause.
    killed = {r: f for r, f in failures.items() if f.exitcode < 0 and f.exitcode != -signal.SIGTERM}
    if killed:
        rank = min(killed, key=lambda r: (killed[r].timestamp, r))
        number = -killed[rank].exitcode
        what = f"{_who(rank, killed[rank], world_size)} was killed by {_signal_name(number)}"
        return Ending(128 + number, _message(what, options, machines))
    errors = {r: e for r, f in failures.items() if (e := _recorded(f)) is not None}
    if errors:
        rank = min(errors, key=lambda r: (errors[r].time_ns, r))
        what = f"{_who(rank, failures[rank], world_size)} failed: {errors[rank].message}"
        return Ending(1, _message(what, options, machines, errors[rank].stack))
    codes = [f.exitcode for f in failures.values()]
    if all(code > 0 for code in codes):
        return Ending(max(codes), None)
    rank = min(failures)
    what = f"{_who(rank, failures[rank], world_size)} was stopped by SIGTERM"
    return Ending(128 + signal.SIGTERM, _message(what, options, machines))


def _who(rank: int, failure: Failure, world_size: int) -> str:
    return f"process {rank} of {world_size} (pid {failure.pid})"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@dataclass(frozen=True)
class Recorded:
    message: str
    stack: str
    time_ns: int


def _recorded(failure: Failure) -> Recorded | None:
    """The error a process recorded, if it exited saying it had."""
    if failure.exitcode != RECORDED:
        return None
    message = failure.error_file_data.get("message")
    if not isinstance(message, dict):
        return None
    extra = message.get("extraInfo", {})
    return Recorded(
        str(message.get("message", "")),
        str(extra.get("py_callstack", "")).rstrip(),
        int(extra.get("time_ns", 0)),
    )


def _message(what: str, options: RunOptions, machines: int, stack: str = "") -> str:
    lines = [f"{what}; the run stopped"]
    if stack:
        lines.append("  " + stack.replace("\n", "\n  "))
    kept = _kept(options.out)
    if kept is None and machines > 1 and not options.out.is_dir():
        kept = f"the machine that ran process 0 keeps the last checkpoint in {options.out}"
    if kept is None:
        lines.append(f"  no checkpoint had been saved in {options.out}")
        lines.append(f"  start again with: {options.command}")
    else:
        lines.append(f"  {kept}")
        lines.append(f"  continue with: {options.resume_command}")
    return "\n".join(lines)


def _kept(out: Path) -> str | None:
    """Where the last committed checkpoint stands, if this machine has it."""
    try:
        folder = checkpoint.committed(out)
        if folder is None:
            return None
        info = read_run_state(folder / checkpoint.STATE_JSON)
    except (TrainError, OSError):
        return f"the last checkpoint is kept in {out}"
    return (
        f"the last checkpoint, at step {info['step']} (epoch {info['epoch']} of "
        f"{info['epochs']} done), is kept in {out}"
    )
