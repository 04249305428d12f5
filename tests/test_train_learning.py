"""The course specs learn: held-out accuracy after training, CPU, fixed seeds.

Each spec trains as written (its train section), as `archdsl train SPEC`
would, in this process to spare the interpreter's start.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SPECS
from tests.train_helpers import history, state, train_here


@pytest.mark.parametrize(
    ("spec", "at_least"),
    [
        ("digits_convnet", 0.98),
        ("digits_mlp", 0.97),
        ("digits_gru", 0.95),
        ("breast_cancer_logistic", 0.95),
    ],
)
def test_spec_reaches_its_accuracy(spec: str, at_least: float, tmp_path: Path) -> None:
    code, printed = train_here(SPECS / f"{spec}.arch", tmp_path, device="cpu", deterministic=True)
    assert code == 0, printed
    records = history(tmp_path)
    epochs = state(tmp_path)["epochs"]
    assert [r["epoch"] for r in records] == list(range(1, epochs + 1))
    final = records[-1]
    assert final["val_acc"] >= at_least, final
    assert final["train_loss"] < records[0]["train_loss"]
    for record in records:
        assert {
            "train_loss",
            "train_acc",
            "val_loss",
            "val_acc",
            "lr",
            "images_per_s",
            "seconds",
        } <= set(record)
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "config.json").read_text())["config"]
    assert saved["epochs"] == epochs and saved["device"] == "cpu"
