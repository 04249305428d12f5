"""Hostile run folders, environments and values: each gets its message and exit code.

Damaged folders are resumed in this process through the command line
(typer's runner: the exit code and stderr exactly as a user sees them, and
an exception other than SystemExit would be a traceback). What could hang
or exhaust memory runs in a fresh interpreter under a memory limit and a
timeout (`run_bounded`).
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from archdsl.cli import app
from archdsl.train.run_lock import RunLock
from archdsl.train.words import counted
from tests.helpers import ROOT, run_bounded

SPEC = ROOT / "tests" / "specs" / "tiny_run.arch"


def cli(*args: str) -> tuple[int, str, str]:
    """`archdsl ARGS` in this process: exit code, stdout, stderr; a traceback fails the test."""
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def train(out: Path, *extra: str) -> tuple[int, str, str]:
    return cli("train", str(SPEC), "--out", str(out), "--device", "cpu", *extra)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    code, _, err = train(out)
    assert code == 0, err
    return out


@pytest.fixture
def copy(finished: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(finished, out, symlinks=True)
    return out


# ---- damaged run folders (issue 14, item 9) -----------------------------------------


def _edit(**changes: Any) -> Callable[[Path], None]:
    def damage(out: Path) -> None:
        state = json.loads((out / "state.json").read_text())
        state.update(changes)
        for key in [k for k, v in changes.items() if v is _DROP]:
            del state[key]
        (out / "state.json").write_text(json.dumps(state))

    return damage


_DROP = object()


def _state_pt(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    def damage(out: Path) -> None:
        path = out / "checkpoint" / "state.pt"
        torch.save(change(torch.load(path, weights_only=True)), path)

    return damage


def _momentum_of_another_shape(state: dict[str, Any]) -> dict[str, Any]:
    for saved in state["optimizer"]["state"].values():
        saved["momentum_buffer"] = torch.zeros(3)
    return state


def _another_specs_weights(out: Path) -> None:
    path = out / "checkpoint" / "last.safetensors"
    save_file({"w": torch.zeros(3)}, str(path), metadata={"step": "12"})


def _deep(out: Path) -> None:
    (out / "state.json").write_text('{"step": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _pointer_elsewhere(out: Path) -> None:
    (out / "checkpoint").unlink()
    (out / "checkpoint").symlink_to("../../etc")


SET = "{out}/ckpt-000000012"
DAMAGED = "is damaged and cannot be resumed from"
DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing key": (_edit(history=_DROP), f"{SET}/state.json {DAMAGED}: history: Field required"),
    "wrong type": (
        _edit(epoch="3"),
        f"{SET}/state.json {DAMAGED}: epoch: Input should be a valid integer",
    ),
    "negative epoch": (
        _edit(epoch=-5),
        f"{SET}/state.json {DAMAGED}: epoch: Input should be greater than or equal to 0",
    ),
    "unknown status": (
        _edit(status="exploded"),
        f"{SET}/state.json {DAMAGED}: status: Input should be 'running', 'interrupted', "
        "'finished' or 'stopped early'",
    ),
    "history of another length": (
        _edit(epoch=2),
        f"{SET}/state.json {DAMAGED}: history does not list epochs 1 to 2",
    ),
    "nested deeply": (_deep, f"{SET}/state.json {DAMAGED} (nested too deeply)"),
    "a list": (
        lambda out: (out / "state.json").write_text("[1, 2]"),
        f"{SET}/state.json does not hold a run's state (it holds a list); "
        "it cannot be resumed from",
    ),
    "state.pt a list": (
        _state_pt(lambda _: [1, 2]),
        f"{SET}/state.pt does not hold a run's state (it holds a list); it cannot be resumed from",
    ),
    "state.pt without optimizer": (
        _state_pt(lambda s: {k: v for k, v in s.items() if k != "optimizer"}),
        f"{SET}/state.pt {DAMAGED}: optimizer: Field required",
    ),
    "optimizer of another model": (
        _state_pt(_momentum_of_another_shape),
        "the optimiser state in {out}/state.pt does not fit this model (momentum_buffer is "
        "shaped [3], its parameter [16, 64]); it cannot be resumed from",
    ),
    "weights of another spec": (
        _another_specs_weights,
        "the weights in {out}/last.safetensors do not fit this model: missing hidden.0.weight, "
        "hidden.0.bias, 2.weight, 2.bias; not in the model w",
    ),
    "step of other epochs": (
        _edit(epoch_step=2),
        f"{{out}}/state.json {DAMAGED}: step 12 is not 3 epochs of 4 steps and 2 more",
    ),
    "pointer out of the folder": (
        _pointer_elsewhere,
        "{out}/checkpoint points to '../../etc', not a checkpoint of this folder",
    ),
}


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_run_folder_is_refused_with_its_reason(kind: str, copy: Path) -> None:
    damage, message = DAMAGES[kind]
    damage(copy)
    code, _, err = train(copy, "--resume")
    assert (code, err) == (1, "error: " + message.format(out=copy) + "\n")


# ---- one run per folder (item 6) ------------------------------------------------------


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    lock = RunLock(out)
    lock.acquire()
    try:
        code, _, err = train(out)
    finally:
        lock.release()
    assert code == 1
    assert err == (
        f"error: another run (process {os.getpid()}) is writing to {out}; "
        "wait for it to finish, or choose another folder with --out\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing of the second run


def test_a_lock_left_by_a_killed_run_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom archdsl.train.run_lock import RunLock\n"
            f"RunLock(__import__('pathlib').Path({str(out)!r})).acquire()\nprint(1, flush=True)\n"
            "time.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "1\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / ".lock").read_text() == f"{holder.pid}\n"  # the dead process's pid is left
    code, _, err = train(out)
    assert code == 0, err


# ---- the environment (item 10) ----------------------------------------------------------


def _failing_fsync(monkeypatch: pytest.MonkeyPatch, where: str, number: int) -> None:
    real = os.fsync

    def fsync(fd: int) -> None:
        if where in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(number, os.strerror(number))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    _failing_fsync(monkeypatch, "ckpt-000000008", errno.ENOSPC)
    code, _, err = train(out)
    assert code == 1
    assert err == (
        f"error: cannot write a checkpoint in {out}: No space left on device; "
        "the checkpoint at step 4 is kept\n"
    )
    monkeypatch.undo()
    code, _, err = train(out, "--resume")
    assert code == 0, err
    assert json.loads((out / "state.json").read_text())["status"] == "finished"


def test_a_read_only_folder_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    _failing_fsync(monkeypatch, "config.json", errno.EROFS)
    code, _, err = train(out)
    assert (code, err) == (
        1,
        f"error: cannot write in the run folder {out}: Read-only file system\n",
    )
    assert not out.exists()  # it failed at start: no folder left behind


HUGE = "model huge {\n  input [1_000_000]\n  linear(10_000_000_000_000)\n}\n"
BIG = "model big {\n  input [1_000_000]\n  linear(1_000_000_000)\n}\n"
OVERFLOW = (
    "error: model `huge` needs 4e+19 bytes (10,000,010,000,000,000,000 parameters), "
    "more than torch can address; it can be checked but not built"
)


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--verify", "{spec}"),
        ("export", "{spec}", "--onnx", "{tmp}/m.onnx"),
        ("train", "{spec}", "--out", "{tmp}/run", "--set", "data=synthetic"),
    ],
)
def test_a_model_torch_cannot_address_is_refused_before_building(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    spec = tmp_path / "huge.arch"
    spec.write_text(HUGE)
    result = run_bounded(*(a.format(spec=spec, tmp=tmp_path) for a in args))
    assert (result.returncode, result.stderr.strip()) == (1, OVERFLOW)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("export", "{spec}", "--onnx", "{tmp}/m.onnx"),
        ("train", "{spec}", "--out", "{tmp}/run", "--set", "data=synthetic", "--batch", "2"),
    ],
)
def test_a_model_larger_than_memory_is_refused_before_building(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    spec = tmp_path / "big.arch"
    spec.write_text(BIG)
    result = run_bounded(*(a.format(spec=spec, tmp=tmp_path) for a in args))
    assert result.returncode == 1
    batch = ", batch 2" if "train" in args else ""
    head = (
        f"error: model `big` needs about 4.0 PB to build (1,000,001,000,000,000 parameters{batch})"
    )
    assert result.stderr.startswith(head + "; this process has about "), result.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("seed=2**70", "`seed` must be less than 9223372036854775808, got 1180591620717411303424"),
        ("threads=100000", "`threads` must be at most 1024, got 100000"),
        ("optimizer.lr=1e308", "`sgd`: `lr` must be at most 3.4028234663852886e+38, got 1e+308"),
        (
            "data=synthetic(augment=[crop(8, padding=10**9)])",
            "`crop`: `padding` 1000000000 is wider than the crop 8",
        ),
    ],
)
def test_extreme_values_are_refused(setting: str, message: str, tmp_path: Path) -> None:
    code, _, err = train(tmp_path / "run", "--set", setting)
    assert code == 1
    assert err.splitlines()[0] == f"error: {message} (from --set {setting})"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("path", ["/dev/zero", "fifo"])
def test_weights_that_are_not_a_regular_file_are_refused(path: str, tmp_path: Path) -> None:
    if path == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    result = run_bounded("eval", str(SPEC), "--weights", path, "--device", "cpu")
    assert (result.returncode, result.stderr) == (
        1,
        f"error: {path} is not a regular file; give a .safetensors file\n",
    )


# ---- without the extras (issue 13, item 4) ----------------------------------------------


def hide(*names: str) -> str:
    """Python that makes importing `names` fail, as on an install without them."""
    return (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {names!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Hide())\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("train", str(SPEC)), "`archdsl train` needs PyTorch: pip install 'archdsl[train]'"),
        (
            ("eval", str(SPEC), "--weights", "w.safetensors"),
            "`archdsl eval` needs PyTorch: pip install 'archdsl[train]'",
        ),
        (
            ("check", "--verify", str(SPEC)),
            "`archdsl check --verify` needs PyTorch: pip install 'archdsl[torch]'",
        ),
        (
            ("export", str(SPEC), "--onnx", "m.onnx"),
            "ONNX export needs the torch package: pip install 'archdsl[export]'",
        ),
    ],
)
def test_without_torch_a_command_says_what_to_install(args: tuple[str, ...], message: str) -> None:
    result = run_bounded(*args, prelude=hide("torch"))
    assert (result.returncode, result.stderr) == (
        1 if args[0] != "export" else 2,
        f"error: {message}\n",
    )


def test_without_matplotlib_the_run_says_curves_are_skipped(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_bounded(
        "train",
        str(SPEC),
        "--out",
        str(out),
        "--device",
        "cpu",
        "--epochs",
        "1",
        prelude=hide("matplotlib"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "curves.png skipped: matplotlib is not installed (pip install 'archdsl[train]')"
    )
    assert not (out / "curves.png").exists()


# ---- what a run shows and leaves (issue 13, item 8) ------------------------------------


def test_a_run_that_fails_at_start_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = train(out, "--batch", "1000")
    assert (code, err) == (
        1,
        "error: the batch of 1000 is larger than the 64 training samples of synthetic; "
        "make `batch` at most 64\n",
    )
    assert not out.exists()


def test_config_json_records_what_a_cpu_run_used(finished: Path) -> None:
    saved = json.loads((finished / "config.json").read_text())
    assert (saved["config"]["amp"], saved["config"]["channels_last"]) == (False, False)
    assert saved["run"]["device"] == "cpu"


def test_counts_are_singular_for_one(tmp_path: Path) -> None:
    code, printed, err = train(tmp_path / "run", "--epochs", "1", "--batch", "64")
    assert code == 0, err
    assert printed.splitlines()[0] == (
        "training tiny_run on synthetic: 64 samples, 16 held out; 1 epoch of 1 step "
        f"(batch 64) on cpu; run folder {tmp_path / 'run'}"
    )
    assert [counted(n, "class") for n in (1, 2)] == ["1 class", "2 classes"]


def test_a_closed_pipe_stops_the_run_resumably(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # Long epochs, so that the reader is gone before the first epoch's line.
    setting = "data=synthetic(samples=40000, val_samples=16)"
    args = ["train", str(SPEC), "--out", str(out), "--device", "cpu", "--set", setting]
    proc = subprocess.Popen(
        [sys.executable, "-m", "archdsl", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "300"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith("training tiny_run on synthetic")
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 128 + signal.SIGPIPE
    command = "archdsl " + " ".join(args).replace(setting, f"'{setting}'")
    assert err == (
        "stopped because standard output was closed (SIGPIPE) before epoch 2; "
        f"checkpoint saved in {out}\n"
        f"  curves: {out}/curves.png\n"
        f"  continue with: {command} --resume\n"
    )
    state = json.loads((out / "state.json").read_text())
    assert (state["status"], state["epoch"]) == ("interrupted", 1)
    code, _, err = train(out, "--set", setting, "--resume")
    assert code == 0, err


def test_the_bar_shows_no_figures_before_a_step_and_the_whole_runs_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rich.console import Console

    from archdsl.train import progress

    view = progress.ProgressView(Console(file=io.StringIO()), True, epochs=3)
    view.start_epoch(2, steps=10, done=0)
    task = view.bar.tasks[0]
    assert str(progress._Figures().render(task)) == ""  # not "loss 0.0000 acc 0.00%"
    clock = iter([100.0, 104.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    view.update(1, 0.5, 0.25, 80.0)
    view.update(5, 0.5, 0.25, 80.0)
    # 4 steps in 4 s; 30 - 15 steps left in the run, not 10 - 5 in the epoch.
    assert task.fields["eta"] == pytest.approx(15.0)
    assert str(progress._Figures().render(task)) == (
        "loss 0.5000  acc 25.00%  80 img/s  0:00:15 left"
    )
