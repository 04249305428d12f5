"""Run control and batch mixing (issue 11, part 6): the metric that picks `best`, top-k,
early stopping, mixup/cutmix/random erasing, TensorBoard, the whole run's time left."""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from rich.console import Console

import archdsl
from archdsl.diagnostics import ArchError, Diagnostic
from archdsl.train import checkpoint, progress
from archdsl.train.augment import RandomErase, augmentations
from archdsl.train.config import EXECUTION_KEYS, CrossEntropy, CutMix, EarlyStop, Erase, Mixup
from archdsl.train.errors import TrainError
from archdsl.train.losses import Objective
from archdsl.train.mix import RandomCutMix, RandomMixup, check_pairs, partners, soft_targets
from archdsl.train.monitor import TASK_METRICS, Monitor, monitor_of
from archdsl.train.resolve import Override, train_config
from archdsl.train.run_control import RunControl
from archdsl.train.tasks import make_task
from archdsl.train.tensorboard_log import tag
from tests.helpers import SPECS, run_bounded
from tests.test_train_hostile import hide
from tests.train_helpers import history, identical, state, train_here, weights

MODEL = (
    "model tiny {\n  input [1, 8, 8]\n"
    "  conv(8, 3x3, padding=1) -> relu -> flatten -> linear(10)\n}\n"
)
RUN = MODEL + (
    "train {\n"
    "  data digits(augment=[flip, mixup(0.4), cutmix, erase(0.5)])\n"
    "  epochs 8\n"
    "  batch 64\n"
    "  optimizer sgd(lr=0.05, momentum=0.9)\n"
    "  device cpu\n"
    "  deterministic true\n"
    "  early_stop patience(2, min_delta=0.02)\n"
    "}\n"
)
STEPS = 1437 // 64  # digits' 1,437 training samples


def config_errors(text: str, overrides: list[Override] | None = None) -> list[Diagnostic]:
    with pytest.raises(ArchError) as info:
        train_config(archdsl.load(text).model(), overrides or [])
    return info.value.diagnostics


def where(diag: Diagnostic) -> tuple[int, int]:
    assert diag.span is not None, diag.message
    return diag.span.line, diag.span.col


# ---- the configuration ----------------------------------------------------------------


def test_the_new_keys_and_their_defaults() -> None:
    config = train_config(archdsl.load(RUN).model())
    assert (config.monitor, config.monitor_mode, config.keep_best, config.log) == (
        None,
        "auto",
        1,
        "none",
    )
    assert config.early_stop == EarlyStop(patience=2, min_delta=0.02)
    assert [a.kind for a in config.data.augment] == ["flip", "mixup", "cutmix", "erase"]
    assert config.data.augment[1] == Mixup(alpha=0.4)
    assert config.data.augment[3] == Erase(p=0.5, area=[0.02, 0.33], ratio=[0.3, 3.3])
    overrides = [
        Override("early_stop", 7, "--set early_stop=7"),
        Override("monitor", "loss", "--set monitor=loss"),
        Override("keep_best", 3, "--set keep_best=3"),
        Override("log", "tensorboard", "--log tensorboard"),
    ]
    config = train_config(archdsl.load(RUN).model(), overrides)
    assert config.early_stop == EarlyStop(patience=7, min_delta=0.0)  # a number is a patience
    assert (config.monitor, config.keep_best, config.log) == ("loss", 3, "tensorboard")
    # Only the logger may change on --resume: the rest changes what the run computes.
    assert "log" in EXECUTION_KEYS
    assert not {"monitor", "monitor_mode", "keep_best", "early_stop"} & EXECUTION_KEYS


def test_wrong_values_are_reported_at_their_place() -> None:
    text = MODEL + (
        "train {\n"
        "  data digits(augment=[erase(area=[0.5, 0.1]), mixup(alpha=0)])\n"
        "  early_stop 0\n"
        "  monitor val_acc\n"
        "  monitor_mode highest\n"
        "  keep_best 0\n"
        "}\n"
    )
    diags = {d.message: d for d in config_errors(text)}
    assert where(diags["`erase`: `area` must run from low to high, got [0.5, 0.1]"]) == (6, 35)
    assert where(diags["`mixup`: `alpha` must be greater than 0.0, got 0"]) == (6, 60)
    assert where(diags["`early_stop` must be a patience of at least 1 epoch, got 0"]) == (7, 14)
    mode = diags['`monitor_mode` must be "auto", "min" or "max", got "highest"']
    assert where(mode) == (9, 16)
    assert where(diags["`keep_best` must be at least 1, got 0"]) == (10, 13)
    assert len(diags) == 5
    (typo,) = config_errors(MODEL + "train {\n  data digits\n  early_stop patiense(3)\n}\n")
    assert typo.message == "unknown early stopping rule `patiense`"
    assert typo.help == "did you mean `patience`?"
    (flag,) = config_errors(
        MODEL + "train {\n  data digits\n}\n", [Override("log", "tensorbord", "--log tensorbord")]
    )
    assert flag.message == (
        '`log` must be "none" or "tensorboard", got "tensorbord" (from --log tensorbord)'
    )


def test_what_the_task_cannot_do_is_refused_before_training() -> None:
    regression = (
        "model r {\n  input [10]\n  linear(1)\n}\n"
        "train {\n  data diabetes(augment=[mixup])\n  monitor acc\n}\n"
    )
    mix, metric = config_errors(regression)
    assert mix.message == "mixup mixes class labels; a regression task has none to mix"
    assert where(mix) == (6, 26)
    assert metric.message == "a regression run reports no held-out `acc`"
    assert metric.help == "did you mean `val_mae`?" and where(metric) == (7, 11)
    binary = (
        "model b {\n  input [30]\n  linear(1)\n}\n"
        "train {\n  data breast_cancer(augment=[mixup(0.2)])\n}\n"
    )
    (single,) = config_errors(binary)
    assert single.message == (
        "mixup mixes labels into a soft target of one score per class; "
        "`b` gives [1], trained with bce"
    )
    segmentation = (
        "model s {\n  input [3, 32, 32]\n  conv(3, 3x3, padding=1)\n}\n"
        "train {\n  data shapes(augment=[erase, cutmix])\n}\n"
    )
    (cut,) = config_errors(segmentation)  # erasing suits any task on images
    assert cut.message == "cutmix mixes class labels; a segmentation task has none to mix"
    # Mixup blends any samples; cutmix needs images.
    tables = binary.replace("linear(1)", "linear(2)").replace("mixup(0.2)", "mixup(0.2), cutmix")
    (image,) = config_errors(tables)
    assert image.message == "cutmix works on images; breast_cancer gives [30]"


def test_the_monitored_metric_and_its_direction() -> None:
    def monitor(task_data: str, **keys: Any) -> Monitor:
        text = "model r {\n  input [10]\n  linear(1)\n}\n" + f"train {{\n  data {task_data}\n}}\n"
        overrides = [Override(k, v, f"--set {k}={v}") for k, v in keys.items()]
        config = train_config(archdsl.load(text).model(), overrides)
        return monitor_of(config, "regression")

    assert monitor("diabetes") == Monitor("val_r2", higher=True)  # the task's first
    assert monitor("diabetes", monitor="mae") == Monitor("val_mae", higher=False)
    assert monitor("diabetes", monitor="val_loss") == Monitor("val_loss", higher=False)
    assert monitor("diabetes", monitor="mae", monitor_mode="max") == Monitor("val_mae", True)
    # The names `check` accepts are the ones the tasks report.
    for task, names in TASK_METRICS.items():
        assert make_task(task, None, None).names == names


# ---- top-k and early stopping ------------------------------------------------------------


def test_top_k_keeps_the_best_epochs_best_first() -> None:
    control = RunControl(Monitor("val_loss", higher=False), keep=3, early=None)
    verdicts = [
        control.update({"epoch": e, "val_loss": v})
        for e, v in enumerate([0.9, 0.5, 0.7, 0.5, 0.8, 0.4], 1)
    ]
    assert control.epochs == [6, 2, 4]  # a tie ranks the earlier epoch first
    assert [v.best for v in verdicts] == [True, True, False, False, False, True]
    assert [v.kept for v in verdicts] == [True, True, True, True, False, True]
    assert not any(v.stop for v in verdicts)


def test_early_stopping_counts_epochs_without_a_large_enough_gain() -> None:
    control = RunControl(Monitor("val_acc", True), 1, EarlyStop(patience=2, min_delta=0.05))
    values = [0.50, 0.60, 0.62, 0.70, 0.72, 0.74]
    stops = [control.update({"epoch": e, "val_acc": v}).stop for e, v in enumerate(values, 1)]
    # 0.62 and 0.72 gain less than 0.05 on 0.60 and 0.70; 0.74 is the second in a row.
    assert stops == [False, False, False, False, False, True]
    assert control.state()["early_stop"] == {"reference": 0.70, "wait": 2, "stopped": None}
    assert control.epochs == [6]  # `best` is still the highest value


def test_a_run_stops_early_and_resuming_it_has_nothing_to_do(tmp_path: Path) -> None:
    code, printed = train_here(RUN, tmp_path)
    assert code == 0, printed
    info = state(tmp_path)
    assert (info["status"], info["epoch"]) == ("stopped early", 4)
    assert info["early_stop"] == {
        "reference": pytest.approx(0.8778, abs=1e-4),
        "wait": 2,
        "stopped": 4,
    }
    assert len(history(tmp_path)) == 4
    lines = {line[:9]: line for line in printed.splitlines()}
    assert lines["epoch 3/8"].endswith(" left")
    assert not lines["epoch 4/8"].endswith("left")  # the run ends after it
    assert (
        "stopped early after epoch 4 of 8: val_acc has not improved by more than 0.02 for 2 "
        "epochs; the best was 0.8833 at epoch 4"
    ) in printed
    before = weights(tmp_path / "last.safetensors")
    code, printed = train_here(RUN, tmp_path, resume=True)
    assert code == 0
    assert printed.startswith(f"the run in {tmp_path} stopped early after epoch 4: ")
    assert printed.rstrip().endswith("there is nothing to resume")
    assert identical(weights(tmp_path / "last.safetensors"), before)


def stop_at_update(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """SIGTERM the run at the progress view's `n`-th update: mid-epoch, as a user would."""
    update = progress.ProgressView.update
    count = iter(range(1, 10**6))

    def counted(self: progress.ProgressView, *args: Any) -> None:
        update(self, *args)
        if next(count) == n:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(progress.ProgressView, "update", counted)


def test_mixing_and_early_stopping_resume_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = tmp_path / "whole"
    assert train_here(RUN, whole)[0] == 0
    cut = tmp_path / "cut"
    # In epoch 4, after epoch 3 left early stopping waiting one epoch.
    with monkeypatch.context() as m:
        stop_at_update(m, 3 * STEPS + 5)
        code, printed = train_here(RUN, cut)
    assert code == 128 + signal.SIGTERM, printed
    info = state(cut)
    assert (info["status"], info["epoch"], info["epoch_step"]) == ("interrupted", 3, 6)
    assert info["early_stop"]["wait"] == 1
    assert train_here(RUN, cut, resume=True)[0] == 0
    assert identical(weights(cut / "last.safetensors"), weights(whole / "last.safetensors"))
    for r, c in zip(history(whole), history(cut), strict=True):
        assert (c["val_loss"], c["val_acc"], c["train_acc"]) == (
            r["val_loss"],
            r["val_acc"],
            r["train_acc"],
        )
        # The interrupted epoch's loss is summed in two parts: equal up to rounding.
        assert c["train_loss"] == pytest.approx(r["train_loss"], rel=1e-6)
    assert state(cut)["early_stop"] == state(whole)["early_stop"]


def test_keep_best_keeps_the_weights_of_the_best_epochs(tmp_path: Path) -> None:
    code, printed = train_here(
        MODEL + "train {\n  data digits\n  epochs 5\n  batch 64\n  device cpu\n}\n",
        tmp_path,
        monitor="loss",
        keep_best=2,
    )
    assert code == 0, printed
    losses = {r["epoch"]: r["val_loss"] for r in history(tmp_path)}
    ranked = sorted(losses, key=losses.__getitem__)[:2]
    assert state(tmp_path)["top"] == [{"epoch": e, "val_loss": losses[e]} for e in ranked]
    assert state(tmp_path)["best"]["epoch"] == ranked[0]
    kept = sorted(p.name for p in (tmp_path / "top").iterdir())
    assert kept == sorted(checkpoint.top_name(e) for e in ranked)
    for e in ranked:  # each file holds that epoch's weights: saved at its last step
        _, meta = checkpoint.read_weights(tmp_path / "top" / checkpoint.top_name(e))
        assert meta["step"] == str(e * STEPS)
    best = weights(tmp_path / "best.safetensors")
    assert identical(best, weights(tmp_path / "top" / checkpoint.top_name(ranked[0])))
    assert "(by val_loss)" in printed
    assert json.loads((tmp_path / "config.json").read_text())["config"]["keep_best"] == 2


# ---- mixup, cutmix, random erasing ---------------------------------------------------------


def images(n: int = 8) -> torch.Tensor:
    return torch.arange(n * 2 * 6 * 5, dtype=torch.float32).reshape(n, 2, 6, 5) + 1


def test_mixup_blends_pairs_and_their_labels_by_the_drawn_share() -> None:
    x, y = images(), torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    mixup = RandomMixup(Mixup(alpha=0.4, p=0.5), classes=10)
    lam = mixup.draw(8, torch.Generator().manual_seed(5))
    assert torch.equal(lam, mixup.draw(8, torch.Generator().manual_seed(5)))  # seeded
    assert 0 < int((lam < 1).sum()) < 8  # p=0.5: some samples mixed, some kept
    out, target = mixup.mix(x, soft_targets(y, 10), lam)
    assert partners(8, x.device).tolist() == [1, 0, 3, 2, 5, 4, 7, 6]
    assert partners(5, x.device).tolist() == [1, 0, 3, 2, 4]  # the last of an odd batch: itself
    for i, j in enumerate([1, 0, 3, 2, 5, 4, 7, 6]):
        share = float(lam[i])
        torch.testing.assert_close(out[i], share * x[i] + (1 - share) * x[j])
        assert target[i, y[i]] == pytest.approx(share) and target[i].sum() == pytest.approx(1)
        if share < 1:
            assert target[i, y[j]] == pytest.approx(1 - share)


def test_cutmix_pastes_a_box_and_weighs_the_labels_by_its_area() -> None:
    x, y = images(), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    cutmix = RandomCutMix(CutMix(alpha=1.0), classes=4, height=6, width=5)
    boxes = cutmix.draw(8, torch.Generator().manual_seed(6))
    out, target = cutmix.mix(x, soft_targets(y, 4), boxes)
    for i, (top, left, h, w) in enumerate(boxes.tolist()):
        j = i ^ 1
        inside = torch.zeros(6, 5, dtype=torch.bool)
        inside[top : top + h, left : left + w] = True
        assert torch.equal(out[i][:, inside], x[j][:, inside])
        assert torch.equal(out[i][:, ~inside], x[i][:, ~inside])
        own = 1 - h * w / 30
        expected = own * F.one_hot(y[i], 4).float() + (1 - own) * F.one_hot(y[j], 4).float()
        torch.testing.assert_close(target[i], expected)
    assert 0 < int((boxes[:, 2] * boxes[:, 3]).sum()) < 8 * 30


def test_random_erasing_zeroes_one_rectangle_in_the_chosen_images() -> None:
    x = images(400)
    erase = RandomErase(Erase(p=0.5, area=[0.1, 0.4], ratio=[0.5, 2.0]), 6, 5)
    params = erase.draw(400, torch.Generator().manual_seed(7))
    out = erase.apply(x, params)
    zeroed = (out == 0).all(1)  # [N, H, W]: pixels zero in every channel
    counts = zeroed.flatten(1).sum(1)
    assert torch.equal(counts, params[:, 2] * params[:, 3])  # exactly its box, nothing else
    chosen = counts > 0
    assert 150 < int(chosen.sum()) < 250  # p=0.5
    assert torch.equal(out[~chosen], x[~chosen])
    share = counts[chosen].float() / 30
    assert float(share.min()) >= 1 / 30 and float(share.max()) <= 0.5


def test_soft_targets_give_the_mixed_loss_and_accuracy() -> None:
    out = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.3]])
    a, b, lam = torch.tensor([0, 2]), torch.tensor([1, 1]), torch.tensor([0.7, 0.4])
    target = lam[:, None] * soft_targets(a, 3) + (1 - lam[:, None]) * soft_targets(b, 3)
    for smoothing in (0.0, 0.1):
        objective = Objective(CrossEntropy(label_smoothing=smoothing), None)
        mixed = lam * F.cross_entropy(out, a, reduction="none", label_smoothing=smoothing)
        mixed += (1 - lam) * F.cross_entropy(out, b, reduction="none", label_smoothing=smoothing)
        torch.testing.assert_close(objective.loss(out, target), mixed.mean())
        # One-hot rows give the loss of the class indices.
        torch.testing.assert_close(objective.loss(out, soft_targets(a, 3)), objective.loss(out, a))
    # The guesses are 0 and 1: the first counts its share 0.7, the second 1 - 0.4.
    correct = Objective(CrossEntropy(), None).correct(out, target)
    assert float(correct) == pytest.approx(0.7 + 0.6)


def test_the_same_seed_gives_the_same_batches_and_mixing_pairs_share_a_process() -> None:
    from archdsl.train.data.base import Split
    from archdsl.train.distributed import World
    from archdsl.train.loader import Loader, Transform

    configs = [Mixup(alpha=0.4), CutMix(), Erase()]
    split = Split(torch.randint(0, 255, (40, 1, 6, 5), dtype=torch.uint8), torch.arange(40) % 4)

    def batches(seed: int, world: World) -> list[tuple[torch.Tensor, torch.Tensor]]:
        transform = Transform(
            torch.ones(1, 1, 1, 1),
            torch.zeros(1, 1, 1, 1),
            augmentations(configs, (1, 6, 5), 4),
            (1, 6, 5),
            channels_last=False,
        )
        loader = Loader(split, 8, transform, world, torch.device("cpu"), train=True)
        return list(loader.batches(torch.Generator().manual_seed(seed)))

    one = World(rank=0, size=1, local_rank=0, local_size=1)
    first, again, other = batches(3, one), batches(3, one), batches(4, one)
    assert all(
        torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        for a, b in zip(first, again, strict=True)
    )
    assert not torch.equal(first[0][0], other[0][0])
    assert first[0][1].shape == (8, 4) and first[0][1].dtype == torch.float32  # soft targets
    # Two processes, 4 samples each: the pairs and draws are the one process's.
    halves = [batches(3, World(rank=r, size=2, local_rank=r, local_size=2)) for r in (0, 1)]
    for step, (x, target) in enumerate(first):
        torch.testing.assert_close(torch.cat([halves[0][step][0], halves[1][step][0]]), x)
        torch.testing.assert_close(torch.cat([halves[0][step][1], halves[1][step][1]]), target)
    check_pairs(configs, 8, 2)  # shares of 4: fine
    with pytest.raises(TrainError, match=r"must be even"):
        check_pairs(configs, 6, 2)


# ---- TensorBoard ------------------------------------------------------------------------------


def test_without_tensorboard_the_run_says_what_to_install(tmp_path: Path) -> None:
    result = run_bounded(
        "train",
        str(SPECS / "digits_mlp.arch"),
        "-o",
        str(tmp_path / "run"),
        "--log",
        "tensorboard",
        prelude=hide("tensorboard"),
    )
    assert (result.returncode, result.stderr) == (
        2,
        "error: `log tensorboard` needs the tensorboard package: "
        "pip install 'archdsl[tensorboard]'\n",
    )
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_scalars_are_tagged_by_quantity_then_split() -> None:
    assert [tag(k) for k in ("train_loss", "val_miou", "lr", "images_per_s")] == [
        "loss/train",
        "miou/val",
        "lr",
        "images_per_s",
    ]


def test_tensorboard_events_hold_each_epochs_scalars(tmp_path: Path) -> None:
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    spec = MODEL + "train {\n  data digits\n  epochs 2\n  batch 64\n  device cpu\n}\n"
    code, printed = train_here(spec, tmp_path, log="tensorboard")
    assert code == 0, printed
    events = accumulator.EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    records = history(tmp_path)
    for key in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
        logged = [(e.step, e.value) for e in events.Scalars(tag(key))]
        assert logged == [(r["epoch"], pytest.approx(r[key], rel=1e-6)) for r in records]


# ---- the whole run's time left ------------------------------------------------------------------


def test_the_time_left_counts_the_epochs_left_and_their_evaluation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = io.StringIO()
    view = progress.ProgressView(Console(file=text, width=200), True, epochs=4)
    clock = iter([0.0, 1.0, 3.0, 6.0, 8.0, 9.0, 10.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    view.start_epoch(1, steps=10, done=0)
    view.update(1, 0.5, 0.25, 80.0)  # t=0
    view.update(3, 0.5, 0.25, 80.0)  # t=1: half a second a step
    task = view.bar.tasks[-1]
    # 7 steps of this epoch, then 3 epochs of 10 steps: 3.5 + 15 s.
    assert task.fields["eta"] == pytest.approx(18.5)
    view.update(10, 0.5, 0.25, 80.0)  # t=3: 9 steps in 3 s
    record = {
        "epoch": 1,
        "train_loss": 0.5,
        "train_acc": 0.25,
        "val_loss": 0.4,
        "val_acc": 0.5,
        "lr": 0.1,
        "images_per_s": 80.0,
        "seconds": 3.0,
    }
    view.epoch_line(record, best=True)  # t=6: 3 s evaluating
    # 3 epochs left, each 10 steps of 1/3 s and 3 s of evaluation.
    assert text.getvalue().rstrip().endswith("*  0:00:19 left")
    view.start_epoch(2, steps=10, done=0)  # t=8: 5 s after the last step in all
    view.update(1, 0.5, 0.25, 80.0)  # t=9: first step of epoch 2, timed from here
    view.update(2, 0.5, 0.25, 80.0)  # t=10: 1 s a step
    task = view.bar.tasks[-1]
    assert task.fields["eta"] == pytest.approx(8 + 5 + 2 * (10 + 5))
    assert str(progress._Figures().render(task)).endswith("0:00:43 left")
