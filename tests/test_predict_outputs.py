"""`archdsl predict` for every task: what it prints per input, and the whole outputs that
`--output` writes (.npy, or .csv for one value per class or target), checked against the
model's own forward pass on the same raw inputs, normalised as the weights' metadata says.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import archdsl
from archdsl.train.checkpoint import read_weights
from tests.helpers import run_cli

SEGMENTATION = """
model seg {
  input [3, 12, 12]
  conv(8, 3x3, padding=1) -> relu
  conv(3, 1x1)
}
train {
  data shapes(samples=64, val_samples=16, size=12)
  task segmentation
  epochs 1
  batch 16
  device cpu
}
"""

REGRESSION = """
model reg {
  input [3]
  linear(8) -> relu -> linear(1)
}
train {
  task regression
  epochs 2
  batch 8
  device cpu
}
"""

CLASSIFICATION = """
model cls {
  input [3]
  linear(3)
}
train {
  epochs 2
  batch 8
  device cpu
}
"""


def trained(folder: Path, text: str, **settings: object) -> tuple[Path, Path]:
    """The spec file and the last weights of a short run of it."""
    folder.mkdir()
    spec = folder / "m.arch"
    spec.write_text(text)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        run = archdsl.fit(str(spec), out=folder / "run", **settings)
    return spec, run.last


def forward(spec: Path, weights: Path, raw: np.ndarray) -> torch.Tensor:
    """The model on raw inputs, normalised only from the weights' metadata."""
    tensors, meta = read_weights(weights)
    module = archdsl.build(str(spec))
    module.load_state_dict(tensors)
    module.eval()
    view = [1, -1] + [1] * (raw.ndim - 2)
    mean = np.array(json.loads(meta["mean"]), np.float32).reshape(view)
    std = np.array(json.loads(meta["std"]), np.float32).reshape(view)
    x = (raw / np.float32(meta["raw_scale"]) - mean) / std
    with torch.no_grad():
        out: torch.Tensor = module(torch.from_numpy(x.astype(np.float32)))
    return out


def table(path: Path, rows: int, seed: int, target: bool = True) -> np.ndarray:
    """A CSV of three features (and `y`, a number or a class): the features returned."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype(np.float32)
    y = x @ np.array([1.5, -2.0, 0.5], np.float32) + 3
    header = ["a", "b", "c"] + (["y"] if target else [])
    lines = [",".join(header)]
    for features, value in zip(x, y, strict=True):
        cells = [f"{v:.9g}" for v in features] + ([value_text(value)] if target else [])
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return np.array([[float(f"{v:.9g}") for v in row] for row in x], np.float32)


def value_text(value: float) -> str:
    return f"{value:.6g}"


@pytest.fixture(scope="module")
def segmentation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return trained(tmp_path_factory.mktemp("p") / "seg", SEGMENTATION)


def test_segmentation_prints_each_masks_histogram_and_writes_every_score(
    segmentation: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, weights = segmentation
    raw = np.random.default_rng(1).integers(0, 256, (4, 3, 12, 12)).astype(np.float32)
    np.save(tmp_path / "x.npy", raw)
    target = tmp_path / "scores.npy"
    result = run_cli(
        "predict", str(spec), str(tmp_path / "x.npy"), "--weights", str(weights), "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    expected = forward(spec, weights, raw)
    saved = np.load(target)
    assert saved.shape == (4, 3, 12, 12)
    np.testing.assert_allclose(saved, expected.numpy(), rtol=1e-5, atol=1e-5)
    assert f"wrote [4, 3, 12, 12] -> {target}" in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    names = ["background", "disc", "square"]
    for i, line in enumerate(lines):
        assert line.startswith(f"{tmp_path / 'x.npy'}[{i}]: ")
        assert line.endswith(" of 144 pixels")
        found = re.findall(r"(\w+) (\d+) \(", line.split(": ", 1)[1])
        counts = np.bincount(expected[i].argmax(0).flatten().numpy(), minlength=3)
        assert found == [(n, str(int(c))) for n, c in zip(names, counts, strict=True)]


def test_segmentation_refuses_a_csv_before_reading_inputs(
    segmentation: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, weights = segmentation
    np.save(tmp_path / "x.npy", np.zeros((2, 3, 12, 12), np.float32))
    for name, message in (
        ("out.csv", "model `seg` gives [3, 12, 12] per input; write a .npy file"),
        ("out.txt", "write the outputs to a .npy or a .csv file"),
    ):
        target = tmp_path / name
        result = run_cli(
            "predict", str(spec), str(tmp_path / "x.npy"), "--weights", str(weights), "-o",
            str(target),
        )  # fmt: skip
        assert result.returncode == 1
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == "" and not target.exists()
    result = run_cli("predict", str(spec), str(tmp_path / "x.npy"), "--weights", str(weights),
                     "-o", str(tmp_path / "absent" / "o.npy"))  # fmt: skip
    assert result.returncode == 2 and "no such directory" in result.stderr


def test_regression_prints_every_value_by_target_name(tmp_path: Path) -> None:
    table(tmp_path / "train.csv", 64, seed=0)
    spec, weights = trained(
        tmp_path / "reg", REGRESSION, data=f'csv("{tmp_path / "train.csv"}", target="y")'
    )
    assert json.loads(read_weights(weights)[1]["target_names"]) == ["y"]
    x = table(tmp_path / "new.csv", 5, seed=1, target=False)
    target = tmp_path / "out.csv"
    result = run_cli("predict", str(spec), str(tmp_path / "new.csv"), "--weights", str(weights),
                     "-o", str(target))  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = forward(spec, weights, x).numpy()
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        f"{tmp_path / 'new.csv'}[row {i}]" for i in range(2, 7)
    ]
    for line, value in zip(lines, expected[:, 0], strict=True):
        assert line.split(": ")[1] == f"y {value:.6g}"
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["input", "y"]
    assert [r[0] for r in rows[1:]] == [line.split(": ")[0] for line in lines]
    np.testing.assert_allclose(
        np.array([[float(v) for v in r[1:]] for r in rows[1:]], np.float32), expected, rtol=1e-5
    )


def test_classification_keeps_top_k_and_writes_probabilities(tmp_path: Path) -> None:
    x, y = np.random.default_rng(2).normal(size=(90, 3)).astype(np.float32), np.arange(90) % 3
    spec, weights = trained(tmp_path / "cls", CLASSIFICATION, data=(x, y))
    np.save(tmp_path / "x.npy", x[:6])
    for name in ("p.npy", "p.csv"):
        target = tmp_path / name
        result = run_cli("predict", str(spec), str(tmp_path / "x.npy"), "--weights",
                         str(weights), "--top", "2", "-o", str(target))  # fmt: skip
        assert result.returncode == 0, result.stderr
        probabilities = forward(spec, weights, x[:6]).softmax(1).numpy()
        if name.endswith(".npy"):
            saved = np.load(target)
        else:
            rows = list(csv.reader(target.open()))
            assert rows[0] == ["input", "0", "1", "2"]
            saved = np.array([[float(v) for v in r[1:]] for r in rows[1:]], np.float32)
        assert saved.shape == (6, 3)
        np.testing.assert_allclose(saved, probabilities, rtol=1e-5, atol=1e-7)
        for line, p in zip(result.stdout.splitlines(), probabilities, strict=True):
            first, second = np.argsort(-p)[:2]
            assert line.split(": ")[1] == f"{first} {p[first]:.2%}, {second} {p[second]:.2%}"


MULTILABEL = """
model tags {
  input [3]
  linear(4)
}
train {
  task multilabel
  epochs 30
  optimizer adam(lr=0.05)
  batch 8
  device cpu
}
"""


def test_multilabel_prints_the_labels_found_present_and_writes_every_probability(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(96, 3)).astype(np.float32)
    # Label k is on where feature k (or, for the last, their sum) is positive.
    y = np.stack([x[:, 0] > 0, x[:, 1] > 0, x[:, 2] > 0, x.sum(1) > 0], 1).astype(np.int64)
    spec, weights = trained(tmp_path / "ml", MULTILABEL, data=(x, y))
    np.save(tmp_path / "x.npy", x[:16])
    target = tmp_path / "p.csv"
    result = run_cli("predict", str(spec), str(tmp_path / "x.npy"), "--weights", str(weights),
                     "--top", "2", "-o", str(target))  # fmt: skip
    assert result.returncode == 0, result.stderr
    probabilities = forward(spec, weights, x[:16]).sigmoid().numpy()
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        f"{tmp_path / 'x.npy'}[{i}]" for i in range(16)
    ]
    counts = []
    for line, p in zip(lines, probabilities, strict=True):
        present = [k for k in np.argsort(-p, kind="stable") if p[k] > 0.5]
        counts.append(len(present))
        if present:
            shown = ", ".join(f"{k} {p[k]:.2%}" for k in present[:2])
            assert line.split(": ", 1)[1] == f"{shown} ({len(present)} of 4 labels)"
        else:
            best = int(np.argmax(p))
            assert line.split(": ", 1)[1] == f"no label (most likely: {best} {p[best]:.2%})"
    # Inputs with no label, fewer than --top and more than --top labels were all seen.
    assert min(counts) == 0 and 1 in counts and max(counts) > 2, counts
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["input", "0", "1", "2", "3"]
    saved = np.array([[float(v) for v in r[1:]] for r in rows[1:]], np.float32)
    np.testing.assert_allclose(saved, probabilities, rtol=1e-5, atol=1e-7)
