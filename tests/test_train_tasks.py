"""Tasks beyond classification: regression, multi-label, segmentation.

Each task's metrics against scikit-learn's (or a count by hand), the checks
that refuse a model or loss that cannot fit, and real runs: the zoo's
regression and segmentation specs train to stated scores.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, jaccard_score, mean_absolute_error, r2_score

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.train.config import AbsoluteError, BinaryCrossEntropy, CrossEntropy, Dice
from archdsl.train.data.shapes import generate
from archdsl.train.errors import DataError, TrainError
from archdsl.train.tasks import make_task
from tests.helpers import SPECS, run_cli


def batches_of(
    task_name: str, loss: object, out: torch.Tensor, y: torch.Tensor
) -> dict[str, float]:
    """The metrics summed over three uneven batches, as the loop sums them."""
    task = make_task(task_name, loss, None)
    sums = torch.zeros(task.width(tuple(out.shape[1:])), dtype=torch.float64)
    for part in (slice(0, 5), slice(5, 6), slice(6, None)):
        sums += task.sums(out[part], y[part])
    return task.metrics(sums.tolist(), len(y))


def test_regression_metrics_equal_scikit_learns() -> None:
    gen = torch.Generator().manual_seed(0)
    y = torch.randn(20, 3, generator=gen) * 4 + 7
    out = y + torch.randn(20, 3, generator=gen)
    got = batches_of("regression", AbsoluteError(), out, y)
    flat_y, flat_out = y.flatten().numpy(), out.flatten().numpy()
    assert got["r2"] == pytest.approx(r2_score(flat_y, flat_out), rel=1e-6)
    assert got["mae"] == pytest.approx(mean_absolute_error(flat_y, flat_out), abs=1e-6)
    task = make_task("regression", AbsoluteError(), None)
    assert float(task.loss(out, y)) == pytest.approx(mean_absolute_error(flat_y, flat_out), 1e-5)


def test_multilabel_metrics_equal_scikit_learns() -> None:
    gen = torch.Generator().manual_seed(1)
    y = (torch.rand(30, 5, generator=gen) > 0.6).long()
    out = torch.randn(30, 5, generator=gen) + (y * 2 - 1).float()
    got = batches_of("multilabel", BinaryCrossEntropy(), out, y)
    guess = (out > 0).long().numpy()
    assert got["f1"] == pytest.approx(f1_score(y.numpy(), guess, average="micro"))
    assert got["label_acc"] == pytest.approx(float((guess == y.numpy()).mean()))


def test_segmentation_metrics_equal_scikit_learns() -> None:
    gen = torch.Generator().manual_seed(2)
    y = torch.randint(0, 4, (8, 6, 5), generator=gen)
    y[y == 3] = 0  # a class in neither truth nor prediction is left out of the mean
    out = torch.randn(8, 4, 6, 5, generator=gen)
    out[:, 3] = -9
    out += torch.nn.functional.one_hot(y, 4).permute(0, 3, 1, 2) * 1.5
    got = batches_of("segmentation", CrossEntropy(), out, y)
    guess = out.argmax(1).flatten().numpy()
    truth = y.flatten().numpy()
    assert got["miou"] == pytest.approx(jaccard_score(truth, guess, average="macro"))
    assert got["pixel_acc"] == pytest.approx(float((guess == truth).mean()))


def test_dice_loss_is_zero_when_perfect_and_cross_entropy_matches_torch() -> None:
    y = torch.randint(0, 3, (4, 8, 8), generator=torch.Generator().manual_seed(3))
    perfect = torch.nn.functional.one_hot(y, 3).permute(0, 3, 1, 2).float() * 50
    dice = make_task("segmentation", Dice(cross_entropy=0.0), None)
    assert float(dice.loss(perfect, y)) == pytest.approx(0.0, abs=1e-6)
    out = torch.randn(4, 3, 8, 8)
    ce = make_task("segmentation", CrossEntropy(label_smoothing=0.1), None)
    want = torch.nn.functional.cross_entropy(out, y, label_smoothing=0.1)
    assert float(ce.loss(out, y)) == pytest.approx(float(want), rel=1e-5)


def test_shapes_are_the_same_every_time_and_masks_fit_the_pixels() -> None:
    images, masks = generate(16, 24, seed=0)
    again, _ = generate(16, 24, seed=0)
    assert np.array_equal(images, again)
    assert images.shape == (16, 3, 24, 24) and masks.shape == (16, 24, 24)
    assert set(np.unique(masks)) == {0, 1, 2}
    # A shape's pixels are painted one colour; the background is dark noise.
    pixels = images.transpose(0, 2, 3, 1)
    assert pixels[masks == 0].max() < 96 <= pixels[masks > 0].min()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "model m { input [3, 16, 16]\n conv(3, 1x1) -> avgpool(global) -> flatten }\n"
            "train { data shapes(size=16) }",
            "segmentation needs a [K, H, W] output",
        ),
        (
            "model m { input [3, 16, 16]\n conv(2, 1x1) }\ntrain { data shapes(size=16) }",
            "shapes gives masks of 3 classes at 16x16; model `m` gives [2, 16, 16]",
        ),
        (
            "model m { input [3, 16, 16]\n conv(3, 1x1) }\n"
            "train { data shapes(size=16, augment=[flip]) }",
            "flip would move the image but not its mask",
        ),
        (
            "model m { input [10]\n linear(2) }\ntrain { data diabetes }",
            "diabetes has one target; model `m` gives [2]",
        ),
        (
            "model m { input [10]\n linear(1) }\ntrain { data diabetes\n loss bce }",
            "bce is not a regression loss",
        ),
    ],
)
def test_check_refuses_what_cannot_fit_the_task(tmp_path: Path, spec: str, message: str) -> None:
    path = tmp_path / "m.arch"
    path.write_text(spec)
    result = run_cli("check", str(path))
    assert result.returncode == 1
    assert message in result.stderr


def quiet_fit(*args: object, **kwargs: object) -> archdsl.FitRun:
    with contextlib.redirect_stdout(io.StringIO()):
        return archdsl.fit(*args, **kwargs)  # type: ignore[arg-type]


def test_multilabel_from_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    y = np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] < -0.5], 1).astype(np.int64)
    spec = "model m { input [8]\n linear(32) -> relu -> linear(3) }"
    run = quiet_fit(
        spec,
        data=(x, y),
        out=tmp_path,
        task="multilabel",
        epochs=10,
        batch=32,
        lr=0.01,
        device="cpu",
    )
    assert run.config.task == "multilabel"
    assert run.history[-1]["val_f1"] >= 0.9
    assert "val_label_acc" in run.history[-1]
    with pytest.raises(DataError, match="multi-label targets must be 0 or 1"):
        quiet_fit(spec, data=(x, y * 2), out=tmp_path / "b", task="multilabel")
    with pytest.raises(TrainError, match=r"gives \[2\] labels per sample; model `m` gives \[3\]"):
        quiet_fit(spec, data=(x, y[:, :2]), out=tmp_path / "c", task="multilabel")


def test_the_regression_spec_reaches_its_stated_r2(tmp_path: Path) -> None:
    run = quiet_fit(SPECS / "diabetes_regression.arch", out=tmp_path, device="cpu")
    last = run.history[-1]
    # Ordinary least squares scores 0.332 on this held-out fifth.
    assert last["val_r2"] >= 0.30
    assert last["val_mae"] <= 48
    assert run.best_epoch["val_r2"] >= last["val_r2"]


def test_the_segmentation_spec_reaches_its_stated_iou(tmp_path: Path) -> None:
    # Half the spec's images and epochs, to keep the test short; the whole run
    # reaches 0.955 (docs/training.md).
    run = quiet_fit(
        SPECS / "shapes_segmentation.arch",
        out=tmp_path,
        device="cpu",
        epochs=4,
        data="shapes(samples=512, val_samples=128, size=32)",
    )
    assert run.history[-1]["val_miou"] >= 0.85
    assert run.history[-1]["val_pixel_acc"] >= 0.95
    result = run_cli(
        "eval", str(SPECS / "shapes_segmentation.arch"), "--weights", str(run.last),
        "--device", "cpu", "--set", "data=shapes(samples=512, val_samples=128, size=32)",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"miou {run.history[-1]['val_miou']:.4f}" in result.stdout


def test_a_wrong_loss_for_a_task_set_from_python_is_an_arch_error(tmp_path: Path) -> None:
    with pytest.raises(ArchError, match="mse is not a segmentation loss"):
        quiet_fit(SPECS / "shapes_segmentation.arch", out=tmp_path, loss="mse")
