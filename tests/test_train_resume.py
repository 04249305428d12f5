"""Never lose a run: kill it, stop it, resume it, and get the same weights.

The reference is an uninterrupted run with the same seed; an interrupted run
continued with --resume must end with identical weights (CPU, deterministic
settings), whether it was killed outright (SIGKILL: it resumes from the last
epoch's checkpoint) or asked to stop (SIGTERM: it saves where it stands,
inside the epoch, and resumes from there).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archdsl.train.errors import TrainError
from archdsl.train.fingerprint import ADDED_KEYS, digest
from archdsl.train.run_folder import resumable
from tests.helpers import ROOT, SPECS, run_cli
from tests.train_helpers import history, identical, state, train_here, weights

SPEC = SPECS / "digits_convnet.arch"
EPOCHS = 3
SETTINGS = ("--epochs", str(EPOCHS), "--device", "cpu", "--set", "deterministic=true")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    code, printed = train_here(SPEC, out, epochs=EPOCHS, device="cpu", deterministic=True)
    assert code == 0, printed
    return out


def start(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "archdsl", "train", str(SPEC), "--out", str(out), *SETTINGS],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def into_second_epoch(proc: subprocess.Popen[str], out: Path) -> None:
    """Return some way into the second epoch, by how long the first one took."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        if (out / "state.json").is_file() and state(out)["epoch"] >= 1:
            time.sleep(0.4 * history(out)[0]["seconds"])
            return
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the run never finished its first epoch")


def resume(out: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("train", str(SPEC), "--out", str(out), *SETTINGS, "--resume")


def test_killed_mid_epoch_then_resumed_matches(uninterrupted: Path, tmp_path: Path) -> None:
    proc = start(tmp_path)
    into_second_epoch(proc, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state(tmp_path)["epoch"] == 1  # died before the second epoch's checkpoint
    assert state(tmp_path)["status"] == "running"
    result = resume(tmp_path)
    assert result.returncode == 0, result.stderr
    assert state(tmp_path)["status"] == "finished"
    for name in ("last.safetensors", "best.safetensors"):
        assert identical(weights(tmp_path / name), weights(uninterrupted / name))
    ours, theirs = history(tmp_path), history(uninterrupted)
    assert [r["val_acc"] for r in ours] == [r["val_acc"] for r in theirs]


def test_terminated_saves_inside_the_epoch_and_resumes_exactly(
    uninterrupted: Path, tmp_path: Path
) -> None:
    proc = start(tmp_path)
    into_second_epoch(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    saved = state(tmp_path)
    assert saved["status"] == "interrupted"
    assert saved["epoch"] == 1 and saved["epoch_step"] > 0
    assert "--resume" in err and "stopped by SIGTERM in epoch 2" in err
    assert f"curves: {tmp_path / 'curves.png'}" in err and (tmp_path / "curves.png").is_file()
    code, printed = train_here(SPEC, tmp_path, resume=True, epochs=EPOCHS, deterministic=True)
    assert code == 0, printed
    assert "resuming digits_convnet" in printed
    assert identical(
        weights(tmp_path / "last.safetensors"), weights(uninterrupted / "last.safetensors")
    )
    assert [r["epoch"] for r in history(tmp_path)] == [1, 2, 3]


def test_resume_refuses_a_changed_spec(uninterrupted: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed.arch"
    changed.write_text(SPEC.read_text().replace("conv(128, 3x3", "conv(96, 3x3"))
    with pytest.raises(TrainError) as refused:
        train_here(changed, uninterrupted, resume=True, epochs=EPOCHS, deterministic=True)
    message = str(refused.value)
    assert "cannot resume the run" in message and "the model changed" in message
    assert "conv3.0: was conv(128, 3x3, padding=1, bias=false) [128, 4, 4], now conv(96" in message
    with pytest.raises(TrainError) as refused:
        train_here(SPEC, uninterrupted, resume=True, epochs=EPOCHS, deterministic=True, lr=0.1)
    assert "optimizer.lr: was 0.05, now 0.1" in str(refused.value)


def test_a_run_saved_before_keys_were_added_resumes_as_it_ran(
    uninterrupted: Path, tmp_path: Path
) -> None:
    out = tmp_path / "older"
    shutil.copytree(uninterrupted, out, symlinks=True)
    saved = json.loads((out / "state.json").read_text())
    now = saved["config"]["values"]
    older = {k: v for k, v in now.items() if k not in ADDED_KEYS}
    assert len(older) == len(now) - len(ADDED_KEYS)
    saved["config"] = {"hash": digest(older), "values": older}
    (out / "state.json").write_text(json.dumps(saved))
    layers = saved["model"]["layers"]
    # Weight decay reached every parameter then: today's default differs, and says so.
    assert now["no_decay"] is True
    with pytest.raises(TrainError, match="no_decay: was false, now true"):
        resumable(out, layers, now)
    assert resumable(out, layers, {**now, "no_decay": False}).info["epoch"] == EPOCHS


def test_a_fresh_run_will_not_overwrite_one(uninterrupted: Path) -> None:
    with pytest.raises(TrainError, match="already holds a run; add --resume"):
        train_here(SPEC, uninterrupted, epochs=EPOCHS, deterministic=True)


def test_a_run_folder_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    result = run_cli("train", str(SPEC), "--out", str(blocker), *SETTINGS)
    assert result.returncode == 2
    assert f"error: the run folder {blocker} is a file; choose a folder" in result.stderr
    result = run_cli("train", str(SPEC), "--out", str(blocker / "run"), *SETTINGS)
    assert result.returncode == 1
    assert f"error: cannot make the run folder {blocker / 'run'}: Not a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "keep me"


DIVERGES = """model deep_linear {
  input [64]
  linear(256) -> linear(256) -> linear(10)
}
train {
  data      digits
  epochs    4
  batch     32
  optimizer sgd(lr=0.3, momentum=0.9)
  schedule  constant(warmup=0.99)
}
"""


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    # No nonlinearity and a rate rising through the run: good for an epoch, then it blows up.
    spec = tmp_path / "deep_linear.arch"
    spec.write_text(DIVERGES)
    out = tmp_path / "run"
    code, printed = train_here(spec, out, device="cpu")
    assert code == 1
    assert "became NaN or infinite in epoch 2" in printed
    assert "the last good checkpoint, after epoch 1, is kept" in printed
    assert state(out)["epoch"] == 1
    assert all(t.isfinite().all() for t in weights(out / "last.safetensors").values())
    assert [r["epoch"] for r in history(out)] == [1]
