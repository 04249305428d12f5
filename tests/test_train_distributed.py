"""Two processes (--nproc 2, gloo on the CPU) train as one does on the same global batch.

Each process takes half of every global batch, augmented with the random
numbers drawn for the whole batch, and DDP averages the two halves'
gradients; one process averages the whole batch's. The results differ only
by float32 rounding in those sums, so the weights must agree to within
TOLERANCE after two epochs (88 steps). The spec has no batchnorm, whose
statistics are each process's own under DDP.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import SPECS, run_cli
from tests.train_helpers import history, train_here, weights

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
