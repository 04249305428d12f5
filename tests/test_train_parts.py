"""The trainer's parts, each against what it must equal: augmentation, schedules,
losses, checkpoints, and the smaller datasets."""

from __future__ import annotations

import itertools
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archdsl.train import checkpoint
from archdsl.train.augment import RandomCrop, RandomCutout, RandomFlip
from archdsl.train.config import (
    BinaryCrossEntropy,
    Constant,
    Cosine,
    Crop,
    CrossEntropy,
    Cutout,
    Flip,
    ImageFolder,
    OneCycle,
    SquaredError,
    Step,
    Synthetic,
)
from archdsl.train.data import load_data
from archdsl.train.errors import DataError, TrainError
from archdsl.train.losses import Objective
from archdsl.train.schedule import factor


def images(n: int = 6) -> torch.Tensor:
    return torch.arange(n * 2 * 5 * 7, dtype=torch.float32).reshape(n, 2, 5, 7)


def test_crop_takes_the_window_it_drew() -> None:
    x = images()
    crop = RandomCrop(Crop(size=(5, 7), padding=2), 5, 7)
    params = crop.draw(len(x), torch.Generator().manual_seed(1))
    out = crop.apply(x, params)
    padded = F.pad(x, (2, 2, 2, 2))
    for i, (top, left) in enumerate(params.tolist()):
        assert 0 <= top <= 4 and 0 <= left <= 4
        assert torch.equal(out[i], padded[i, :, top : top + 5, left : left + 7])


def test_flip_mirrors_what_it_drew_and_nothing_else() -> None:
    x = images(64)
    flip = RandomFlip(Flip(p=0.5))
    params = flip.draw(len(x), torch.Generator().manual_seed(2))
    out = flip.apply(x, params)
    flipped = params[:, 0].bool()
    assert 10 < int(flipped.sum()) < 54
    assert torch.equal(out[flipped], x[flipped].flip(3))
    assert torch.equal(out[~flipped], x[~flipped])


def test_cutout_zeroes_one_square() -> None:
    x = images() + 1  # no zeros of its own
    cut = RandomCutout(Cutout(size=3), 5, 7)
    params = cut.draw(len(x), torch.Generator().manual_seed(3))
    out = cut.apply(x, params)
    for i, (top, left) in enumerate(params.tolist()):
        rows = range(max(top, 0), min(top + 3, 5))
        cols = range(max(left, 0), min(left + 3, 7))
        assert int((out[i, 0] == 0).sum()) == len(rows) * len(cols)
        assert all(out[i, c, r, q] == 0 for c in range(2) for r in rows for q in cols)


def schedule_at(config: object, total: int = 100, per_epoch: int = 10) -> list[float]:
    at = factor(config, total, per_epoch)  # type: ignore[arg-type]
    return [at(step) for step in range(total)]


def test_schedules() -> None:
    assert schedule_at(Constant()) == [1.0] * 100
    warm = schedule_at(Constant(warmup=0.1))
    assert warm[:10] == pytest.approx([(s + 1) / 10 for s in range(10)]) and warm[10:] == [1.0] * 90
    cosine = schedule_at(Cosine(final=0.1))
    assert (
        cosine[0] == 1.0
        and cosine[50] == pytest.approx(0.55)
        and cosine[99] == pytest.approx(0.1, abs=1e-3)
    )
    step = schedule_at(Step(every=3, gamma=0.5))
    assert step[29] == 1.0 and step[30] == 0.5 and step[60] == 0.25 and step[90] == 0.125
    assert schedule_at(Step(milestones=[2, 7]))[[0, 20, 69, 70].__getitem__(1)] == pytest.approx(
        0.1
    )
    one = schedule_at(OneCycle(warmup=0.25))
    assert max(one) == one[24] == 1.0 and one[0] == pytest.approx(1 / 25)
    assert one[-1] == pytest.approx(1 / 75)
    assert all(a > b for a, b in itertools.pairwise(one[25:]))


def test_cross_entropy_with_smoothing_is_torchs() -> None:
    logits, y = torch.randn(8, 5, generator=torch.Generator().manual_seed(0)), torch.arange(8) % 5
    ours = Objective(CrossEntropy(label_smoothing=0.2), None).loss(logits, y)
    assert ours == pytest.approx(float(F.cross_entropy(logits, y, label_smoothing=0.2)), rel=1e-6)
    # On a model that ends in softmax, the same loss from its probabilities.
    probs = Objective(CrossEntropy(label_smoothing=0.2), "softmax").loss(logits.softmax(1), y)
    assert probs == pytest.approx(float(ours), rel=1e-5)


def test_squared_error_and_binary_cross_entropy() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    y = torch.tensor([0, 1])
    p = logits.softmax(1)
    expected = ((p - torch.tensor([[1.0, 0.0], [0.0, 1.0]])) ** 2).sum(1).mean()
    assert Objective(SquaredError(), None).loss(logits, y) == pytest.approx(float(expected))
    scores = torch.tensor([[1.5], [-0.5], [0.2]])
    labels = torch.tensor([1, 0, 0])
    bce = Objective(BinaryCrossEntropy(), "sigmoid")
    expected = F.binary_cross_entropy_with_logits(scores, labels.float()[:, None])
    assert bce.loss(scores.sigmoid(), labels) == pytest.approx(float(expected), rel=1e-6)
    assert bce.correct(scores.sigmoid(), labels) == 2
    assert Objective(BinaryCrossEntropy(), None).correct(scores, labels) == 2


def run_info(step: int) -> dict[str, Any]:
    """A state.json as a run writes it, inside its first epoch."""
    return {
        "format": 1,
        "model_name": "m",
        "status": "interrupted",
        "epoch": 0,
        "epochs": 1,
        "step": step,
        "epoch_step": step,
        "best": {"val_acc": -1.0, "epoch": 0},
        "history": [],
        "world_size": 1,
        "model": {"hash": "0" * 64, "layers": {}},
        "config": {"hash": "0" * 64, "values": {}},
    }


def run_state(step: int) -> dict[str, Any]:
    rng = [{"cpu": torch.get_rng_state(), "cuda": None}]
    return {
        "step": step,
        "optimizer": {},
        "scheduler": {},
        "rng": rng,
        "generator": None,
        "partial": None,
    }


def test_checkpoints_round_trip_and_refuse_torn_sets(tmp_path: Path) -> None:
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    info, state = run_info(7), run_state(7)
    checkpoint.save(tmp_path, module, state, info, best=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [checkpoint.LAST, checkpoint.BEST, checkpoint.STATE_JSON, "checkpoint", "ckpt-000000007"]
    )
    assert sorted(p.name for p in (tmp_path / "checkpoint").iterdir()) == sorted(
        [checkpoint.LAST, checkpoint.BEST, checkpoint.STATE_PT, checkpoint.STATE_JSON]
    )
    found = checkpoint.load(tmp_path)
    assert found.info["step"] == 7 and torch.equal(
        found.state["rng"][0]["cpu"], torch.get_rng_state()
    )
    assert torch.equal(found.weights["0.weight"], module[0].weight)
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    checkpoint.load_into(other, found.weights, "x")
    assert torch.equal(other[0].bias, module[0].bias)
    with pytest.raises(
        TrainError, match=r"shaped differently 0.weight \[4, 3\] \(the model has \[5, 3\]\)"
    ):
        checkpoint.load_into(nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5)), found.weights, "x")
    # A crash between two renames leaves files from different steps: noticed, not resumed.
    checkpoint.save(tmp_path, module, {**state, "step": 8}, run_info(8), best=False)
    assert os.readlink(tmp_path / "checkpoint") == "ckpt-000000008"
    assert not (tmp_path / "ckpt-000000007").exists()  # the older set, once the new one is in
    (tmp_path / checkpoint.LAST).write_bytes((tmp_path / checkpoint.BEST).read_bytes())
    with pytest.raises(TrainError, match="is torn"):
        checkpoint.load(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_run_folder_from_before_checkpoint_sets_resumes_and_converts(tmp_path: Path) -> None:
    module = nn.Linear(2, 2)
    checkpoint.save(tmp_path, module, run_state(1), run_info(1), best=False)
    # The layout of earlier versions: the checkpoint's files side by side in the run folder.
    folder = tmp_path / os.readlink(tmp_path / "checkpoint")
    for name in (checkpoint.LAST, checkpoint.STATE_PT, checkpoint.STATE_JSON):
        (tmp_path / name).unlink(missing_ok=True)
        shutil.copy(folder / name, tmp_path / name)
    (tmp_path / checkpoint.BEST).unlink()
    (tmp_path / "checkpoint").unlink()
    shutil.rmtree(folder)
    assert checkpoint.load(tmp_path).info["step"] == 1
    checkpoint.save(tmp_path, module, run_state(2), run_info(2), best=False)
    assert os.readlink(tmp_path / "checkpoint") == "ckpt-000000002"
    links = (checkpoint.LAST, checkpoint.BEST, checkpoint.STATE_JSON)
    assert all((tmp_path / name).is_symlink() for name in links)
    assert not (tmp_path / checkpoint.STATE_PT).exists()
    assert checkpoint.load(tmp_path).info["step"] == 2


def test_state_loads_with_weights_only(tmp_path: Path) -> None:
    import pickle

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("ran",))

    module = nn.Linear(2, 2)
    checkpoint.save(tmp_path, module, run_state(1), run_info(1), best=False)
    (tmp_path / "checkpoint" / checkpoint.STATE_PT).write_bytes(
        pickle.dumps({"step": 1, "x": Payload()}, protocol=2)
    )
    with pytest.raises(TrainError, match=r"state\.pt is damaged"):
        checkpoint.load(tmp_path)


def test_synthetic_data_follows_a_teacher() -> None:
    data = load_data(Synthetic(samples=64, val_samples=16), (3, 4, 4), (5,))
    assert data.train.x.shape == (64, 3, 4, 4) and data.val.x.shape == (16, 3, 4, 4)
    assert data.classes == 5 and set(data.train.y.tolist()) <= set(range(5))
    again = load_data(Synthetic(samples=64, val_samples=16), (3, 4, 4), (5,))
    assert torch.equal(data.train.x, again.train.x)  # the same data every time


def write_png(path: Path, value: int, size: tuple[int, int] = (6, 9)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[0], size[1], 3), value, np.uint8)).save(path)


def test_imagefolder_reads_classes_and_resizes(tmp_path: Path) -> None:
    for cls, value in (("cats", 10), ("dogs", 200)):
        for i in range(5):
            write_png(tmp_path / cls / f"{i}.png", value)
    data = load_data(ImageFolder(path=str(tmp_path), val=0.2), (3, 4, 4), (2,))
    assert data.classes == 2 and len(data.train) == 8 and len(data.val) == 2
    assert data.train.x.shape == (8, 3, 4, 4) and data.train.x.dtype == torch.uint8
    for x, y in zip(data.train.x, data.train.y, strict=True):
        assert int(x[0, 0, 0]) == (10 if y == 0 else 200)
    (tmp_path / "dogs" / "3.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match=f"{tmp_path / 'dogs' / '3.png'} is not a readable image"):
        load_data(ImageFolder(path=str(tmp_path)), (3, 4, 4), (2,))
    with pytest.raises(DataError, match="no such folder"):
        load_data(ImageFolder(path=str(tmp_path / "missing")), (3, 4, 4), (2,))


def test_imagefolder_with_its_own_split(tmp_path: Path) -> None:
    for split, count in (("train", 3), ("val", 2)):
        for cls in ("a", "b", "c"):
            for i in range(count):
                write_png(tmp_path / split / cls / f"{i}.png", 50, size=(8, 8))
    data = load_data(ImageFolder(path=str(tmp_path)), (1, 8, 8), (3,))
    assert (len(data.train), len(data.val), data.classes) == (9, 6, 3)
    assert data.val.y.tolist() == [0, 0, 1, 1, 2, 2]
    assert math.prod(data.sample_shape) == 64
