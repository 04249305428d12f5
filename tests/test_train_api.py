"""`archdsl.fit`: training from Python on arrays and on a user Dataset, resumed exactly."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.train.errors import DataError, TrainError
from tests.helpers import ROOT
from tests.train_helpers import history, identical, state, weights

SPEC = """
model tiny {
  input [6]
  linear(32) -> relu -> linear(3)
}
train {
  epochs 4
  batch 16
  optimizer sgd(lr=0.1, momentum=0.9)
  device cpu
  deterministic true
}
"""


def blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated classes of 6 features."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = rng.normal(size=(3, 6)).astype(np.float32) * 3
    return centres[y] + rng.normal(size=(n, 6)).astype(np.float32), y


class Blobs(Dataset[tuple[torch.Tensor, int]]):
    """The same samples as a map-style Dataset; optionally sends SIGTERM at one read.

    Reads are counted across the DataLoader's worker processes, and the signal goes
    to the process that runs the training.
    """

    def __init__(self, n: int, stop_at: int | None = None) -> None:
        self.x, self.y = blobs(n)
        self.reads = multiprocessing.Value("i", 0)
        self.stop_at = stop_at
        self.trainer = os.getpid()

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        with self.reads.get_lock():
            self.reads.value += 1
            if self.reads.value == self.stop_at:
                os.kill(self.trainer, signal.SIGTERM)
        return torch.from_numpy(self.x[i]), int(self.y[i])


def test_fit_on_arrays_learns_and_writes_a_run(tmp_path: Path) -> None:
    run = archdsl.fit(SPEC, data=blobs(600), out=tmp_path)
    assert [r["epoch"] for r in run.history] == [1, 2, 3, 4]
    assert run.history[-1]["val_acc"] >= 0.95
    assert len(history(tmp_path)) == 4
    assert state(tmp_path)["status"] == "finished"
    trained = {k: v.cpu() for k, v in run.module.state_dict().items()}
    assert identical(trained, weights(run.last))
    assert run.best.is_file()
    assert run.config.data.kind == "python"
    assert run.config.data.samples == 480  # a fifth of 600 held out


def test_fit_with_explicit_val_and_overrides(tmp_path: Path) -> None:
    x, y = blobs(400)
    xv, yv = blobs(100, seed=1)
    run = archdsl.fit(
        SPEC,
        data=(x, y),
        val=(torch.from_numpy(xv), torch.from_numpy(yv)),
        out=tmp_path,
        epochs=2,
        lr=0.05,
        schedule="cosine(warmup=0.1)",
        **{"optimizer.momentum": 0.5},
    )
    assert run.config.optimizer.lr == 0.05
    assert run.config.optimizer.momentum == 0.5
    assert run.config.schedule.kind == "cosine"
    assert len(run.history) == 2
    assert run.config.data.samples == 400


def test_fit_on_a_named_dataset(tmp_path: Path) -> None:
    spec = "model m { input [4]\n linear(3) }"
    run = archdsl.fit(spec, data="iris(val=0.3)", out=tmp_path, epochs=2, batch=8, device="cpu")
    assert run.config.data.kind == "iris"
    assert len(run.history) == 2


def test_fit_on_a_dataset_stops_mid_epoch_and_resumes_exactly(tmp_path: Path) -> None:
    whole = archdsl.fit(SPEC, data=Blobs(320), out=tmp_path / "whole")
    assert whole.history[-1]["val_acc"] >= 0.9
    # 256 training samples, 16 per step: 16 steps an epoch; the statistics read 256 first.
    with pytest.raises(KeyboardInterrupt):
        archdsl.fit(SPEC, data=Blobs(320, stop_at=256 + 256 + 100), out=tmp_path / "cut")
    cut = state(tmp_path / "cut")
    assert cut["status"] == "interrupted"
    assert cut["epoch"] == 1 and 0 < cut["epoch_step"] < 16
    again = archdsl.fit(SPEC, data=Blobs(320), out=tmp_path / "cut", resume=True)
    assert identical(weights(again.last), weights(whole.last))
    assert [r["val_acc"] for r in again.history] == [r["val_acc"] for r in whole.history]


def test_a_dataloader_gives_its_dataset_and_workers(tmp_path: Path) -> None:
    loader = DataLoader(Blobs(320), batch_size=99, num_workers=0)
    by_loader = archdsl.fit(SPEC, data=loader, out=tmp_path / "a", epochs=2)
    by_dataset = archdsl.fit(SPEC, data=Blobs(320), out=tmp_path / "b", epochs=2)
    assert identical(weights(by_loader.last), weights(by_dataset.last))


SCRIPT = """
import sys
import archdsl
from tests.test_train_api import SPEC, blobs
archdsl.fit(SPEC, data=blobs(20000), out=sys.argv[1], epochs=3)
"""


def test_fit_on_arrays_killed_then_resumed_matches(tmp_path: Path) -> None:
    whole = archdsl.fit(SPEC, data=blobs(20000), out=tmp_path / "whole", epochs=3)
    out = tmp_path / "cut"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 240
    while not ((out / "state.json").is_file() and state(out)["epoch"] >= 1):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the run never finished its first epoch"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state(out)["status"] != "finished"
    again = archdsl.fit(SPEC, data=blobs(20000), out=out, epochs=3, resume=True)
    assert identical(weights(again.last), weights(whole.last))


def test_resuming_on_other_arrays_is_refused(tmp_path: Path) -> None:
    archdsl.fit(SPEC, data=blobs(200), out=tmp_path, epochs=1)
    with pytest.raises(TrainError, match=r"data\.digest"):
        archdsl.fit(SPEC, data=blobs(200, seed=5), out=tmp_path, epochs=1, resume=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((np.zeros((10, 6)), np.zeros(9, dtype=int)), "10 samples but targets of shape \\[9\\]"),
        (
            (np.zeros((10, 6)), np.zeros(10)),
            "classification needs one class index per sample, got float64",
        ),
        ({"x": 1}, "cannot train on a dict"),
        (DataLoader(Blobs(40), batch_sampler=[[0, 1]]), "batch sampler of its own"),
    ],
)
def test_bad_data_is_refused_clearly(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        archdsl.fit(SPEC, data=data, out=tmp_path)


def test_wrong_sample_shape_and_labels_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainError, match=r"shape \[5\]; model `tiny` takes \[6\]"):
        archdsl.fit(SPEC, data=(np.zeros((40, 5)), np.zeros(40, dtype=int)), out=tmp_path / "a")

    class Wrong(Blobs):
        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            return super().__getitem__(i)[0], 7

    with pytest.raises(DataError, match="labelled 7; the model tells 3 classes apart"):
        archdsl.fit(SPEC, data=Wrong(64), out=tmp_path / "b")


def test_a_bad_setting_is_an_arch_error(tmp_path: Path) -> None:
    with pytest.raises(ArchError, match="unknown train key `epoch`"):
        archdsl.fit(SPEC, data=blobs(100), out=tmp_path, epoch=3)
