"""Two processes (--nproc 2, gloo on the CPU) train as one does on the same global batch;
one of them killed, the run stops with one message and resumes exactly.

Each process takes half of every global batch, augmented with the random
numbers drawn for the whole batch, and DDP averages the two halves'
gradients; one process averages the whole batch's. The results differ only
by float32 rounding in those sums, so the weights must agree to within
TOLERANCE after two epochs (88 steps). The spec has no batchnorm, whose
statistics are each process's own under DDP.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archdsl.train import checkpoint
from tests.helpers import SPECS, run_cli, start_cli
from tests.train_helpers import history, identical, train_here, weights

TOLERANCE = 1e-5  # largest difference of any weight, absolute
SPEC = SPECS / "digits_mlp.arch"
DATA = "digits(augment=[crop(8, padding=1), cutout(3)])"


def test_two_processes_match_one(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    code, printed = train_here(SPEC, one, epochs=2, device="cpu", data=DATA)
    assert code == 0, printed
    result = run_cli(
        "train", str(SPEC), "--out", str(two), "--epochs", "2", "--device", "cpu",
        "--set", f"data={DATA}", "--nproc", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "on cpu x 2 processes" in result.stdout
    assert json.loads((two / "config.json").read_text())["run"]["world_size"] == 2
    a, b = weights(one / "last.safetensors"), weights(two / "last.safetensors")
    assert a.keys() == b.keys()
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert worst < TOLERANCE
    ours, theirs = history(two), history(one)
    assert [r["epoch"] for r in ours] == [1, 2]
    for mine, single in zip(ours, theirs, strict=True):
        assert abs(mine["val_acc"] - single["val_acc"]) <= 1 / 360  # one digit of 360 at most
        assert abs(mine["train_loss"] - single["train_loss"]) < 1e-4


# ---- a process killed mid-run -------------------------------------------------------

KILL_EPOCHS = "6"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _args(out: Path, *launch: str, nproc: int = 2) -> list[str]:
    return [
        "train", str(SPEC), "-o", str(out), "--epochs", KILL_EPOCHS, "--device", "cpu",
        "--set", f"data={DATA}", "--set", "deterministic=true", "--nproc", str(nproc), *launch,
    ]  # fmt: skip


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _rank_of(pid: int) -> int | None:
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    ranks = [int(v[5:]) for v in env if v.startswith(b"RANK=")]
    return ranks[0] if ranks else None


def _kill_rank_after_a_checkpoint(launcher: subprocess.Popen[str], out: Path, rank: int) -> int:
    """SIGKILL process `rank` as soon as a checkpoint is committed; its pid."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and launcher.poll() is None:
        if checkpoint.committed(out) is not None:
            for pid in _children(launcher.pid):
                if _rank_of(pid) == rank:
                    os.kill(pid, signal.SIGKILL)
                    return pid
        time.sleep(0.02)
    raise AssertionError("no checkpoint was committed while the run went on")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole run, meeting through a static rendezvous as machine 0 of 1."""
    out = tmp_path_factory.mktemp("uninterrupted") / "run"
    static = ("--nnodes", "1", "--node-rank", "0", "--rdzv-endpoint", f"127.0.0.1:{_free_port()}")
    done = run_cli(*_args(out, *static))
    assert done.returncode == 0, done.stderr
    assert "on cpu x 2 processes" in done.stdout
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="finds the process through /proc")
@pytest.mark.parametrize(
    ("rank", "rendezvous"),
    [
        (0, ()),  # this machine alone
        (1, ("--nnodes", "1", "--rdzv-endpoint", "localhost:{port}", "--rdzv-id", "killed")),
    ],
)
def test_a_killed_process_ends_the_run_with_one_message_and_resumes_exactly(
    uninterrupted: Path, tmp_path: Path, rank: int, rendezvous: tuple[str, ...]
) -> None:
    out = tmp_path / "killed"
    args = _args(out, *(flag.format(port=_free_port()) for flag in rendezvous))
    launcher = start_cli(*args)
    pid = _kill_rank_after_a_checkpoint(launcher, out, rank)
    _, stderr = launcher.communicate(timeout=120)
    assert launcher.returncode == 128 + signal.SIGKILL
    assert "Traceback" not in stderr and "gloo" not in stderr
    lines = stderr.strip().splitlines()
    assert lines[0] == (
        f"error: process {rank} of 2 (pid {pid}) was killed by SIGKILL; the run stopped"
    )
    committed = checkpoint.committed(out)
    assert committed is not None
    saved = json.loads((committed / checkpoint.STATE_JSON).read_text())
    assert saved["step"] >= 44 and saved["step"] % 44 == 0  # after an epoch: 44 steps each
    assert lines[1] == (
        f"  the last checkpoint, at step {saved['step']} (epoch {saved['epoch']} of 6 done), "
        f"is kept in {out}"
    )
    command = shlex.join(["archdsl", *args]) + " --resume"
    assert lines[2:] == [f"  continue with: {command}"]

    resumed = run_cli(*shlex.split(command)[1:])
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming digits_mlp" in resumed.stdout
    for name in (checkpoint.LAST, checkpoint.BEST):
        assert identical(weights(out / name), weights(uninterrupted / name)), name
    assert [r["epoch"] for r in history(out)] == [1, 2, 3, 4, 5, 6]


def test_two_machines_of_one_process_train_as_one_of_two(
    uninterrupted: Path, tmp_path: Path
) -> None:
    """Two commands on this machine play two machines meeting at machine 0's address."""
    out = tmp_path / "run"
    static = ("--nnodes", "2", "--rdzv-endpoint", f"127.0.0.1:{_free_port()}", "--node-rank")
    # Machine 0 first: it serves the rendezvous, which machine 1 retries ever more slowly.
    machines = [start_cli(*_args(out, *static, str(node), nproc=1)) for node in (0, 1)]
    try:
        (out0, err0), (_, err1) = (m.communicate(timeout=600) for m in machines)
    finally:
        for m in machines:
            m.kill()
    assert [m.returncode for m in machines] == [0, 0], err0 + err1
    assert "on cpu x 2 processes" in out0
    assert json.loads((out / "config.json").read_text())["run"]["world_size"] == 2
    for name in (checkpoint.LAST, checkpoint.BEST):
        assert identical(weights(out / name), weights(uninterrupted / name)), name
