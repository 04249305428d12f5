"""The optimisation step: gradient clipping, accumulation, EMA of the weights, no-decay
groups and fp16 with a grad scaler; each configured, checkpointed and resumed exactly."""

from __future__ import annotations

import itertools
import json
import os
import signal
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

import archdsl
from archdsl.train.config import EXECUTION_KEYS, TrainConfig
from archdsl.train.ema import averaged
from archdsl.train.errors import TrainError
from archdsl.train.evaluate import evaluate_weights
from archdsl.train.fingerprint import config_values
from archdsl.train.optim import make_optimizer
from archdsl.train.param_groups import decay_groups, undecayed
from archdsl.train.resolve import Override, train_config
from archdsl.train.stepper import Stepper
from tests.test_train_api import SPEC as BLOBS_SPEC
from tests.test_train_api import blobs
from tests.train_helpers import history, identical, state, train_here, weights

CPU = torch.device("cpu")

# No dropout, no batch norm: a batch's gradient is the mean of its samples' gradients.
DIGITS_MLP = """
model mlp {
  input [1, 8, 8]
  flatten -> linear(32) -> relu -> linear(10)
}
train {
  data digits
  epochs 2
  optimizer sgd(lr=0.05, momentum=0.9)
  schedule onecycle(warmup=0.3)
  device cpu
  deterministic true
}
"""

# One of each kind of parameter: conv, batch norm, `param`, layer norm, linear.
KINDS = """
model kinds {
  input x: [1, 8, 8]
  f = conv(4, 3x3, padding=1) -> batchnorm -> relu
  gain = param([4, 1, 1], init=ones)
  mul(f, gain) -> flatten -> layernorm -> linear(10)
}
"""


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.arch"
    path.write_text(text)
    return path


def stepper_for(module: nn.Module, lr: float = 1.0, **options: object) -> Stepper:
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    return Stepper(module, optimizer, LambdaLR(optimizer, lambda _: 1.0), **options)  # type: ignore[arg-type]


def largest_gap(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def flat(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


# ---- configuration ------------------------------------------------------------------


def test_keys_default_off_and_are_set_by_flags() -> None:
    model = archdsl.load(DIGITS_MLP).model()
    config = train_config(model)
    assert (config.clip, config.accumulate, config.ema) == (None, 1, None)
    assert config.no_decay is True and config.precision == "auto"
    flags = {"clip": 0.5, "accumulate": 4, "ema": 0.999, "no_decay": False, "precision": "fp16"}
    config = train_config(model, [Override(k, v, f"--set {k}={v}") for k, v in flags.items()])
    assert config.clip == 0.5 and config.accumulate == 4 and config.ema == 0.999
    assert config.no_decay is False and config.precision == "fp16"


def test_only_precision_may_change_on_resume() -> None:
    assert "precision" in EXECUTION_KEYS
    values = config_values(TrainConfig.model_validate({"data": "digits", "ema": 0.99}))
    assert values["ema"] == 0.99 and values["accumulate"] == 1 and values["clip"] is None
    assert values["no_decay"] is True and "precision" not in values


def test_a_flag_out_of_range_names_the_flag() -> None:
    model = archdsl.load(DIGITS_MLP).model()
    with pytest.raises(archdsl.ArchError) as info:
        train_config(model, [Override("ema", 1.0, "--set ema=1.0")])
    assert [d.message for d in info.value.diagnostics] == [
        "`ema` must be less than 1.0, got 1.0 (from --set ema=1.0)"
    ]


# ---- accumulation -------------------------------------------------------------------


def test_two_batches_of_8_accumulated_equal_one_batch_of_16(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, DIGITS_MLP)
    assert train_here(spec, tmp_path / "b16", batch=16, epochs=1)[0] == 0
    assert train_here(spec, tmp_path / "b8x2", batch=8, accumulate=2, epochs=1)[0] == 0
    assert train_here(spec, tmp_path / "b8", batch=8, epochs=1)[0] == 0
    big, summed, plain = (
        weights(tmp_path / f"{run}/last.safetensors") for run in ("b16", "b8x2", "b8")
    )
    assert largest_gap(big, summed) < 1e-6  # 2.5e-7 when written
    assert largest_gap(big, plain) > 1e-2  # unaccumulated, the weights differ (0.43)
    # The one-cycle schedule counted optimiser steps: the same rate after the epoch.
    rates = [r["lr"] for r in history(tmp_path / "b16")]
    assert [r["lr"] for r in history(tmp_path / "b8x2")] == pytest.approx(rates, abs=1e-12)
    # 1,437 training digits: 89 steps of 16, as 178 batches of 8.
    assert state(tmp_path / "b8x2")["step"] == 178


def test_accumulating_more_samples_than_the_data_holds_is_refused(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, DIGITS_MLP)
    with pytest.raises(TrainError) as refused:
        train_here(spec, tmp_path / "run", batch=256, accumulate=8)
    assert str(refused.value) == (
        "`accumulate 8` batches of 256 take 2048 samples a step, more than the 1437 "
        "training samples of digits; make `accumulate` at most 5"
    )
    assert not (tmp_path / "run").exists()


# ---- clipping -----------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_clipping_bounds_the_step_on_the_unscaled_gradient(precision: str) -> None:
    torch.manual_seed(0)
    module = nn.Linear(5, 3)
    # A scale that leaves fp16 gradients of this loss finite.
    scaler = torch.amp.GradScaler("cpu", init_scale=64.0) if precision == "fp16" else None
    stepper = stepper_for(module, clip=0.25, scaler=scaler)
    before = flat(module)
    with torch.autocast("cpu", dtype=torch.float16, enabled=precision == "fp16"):
        loss = module(torch.randn(4, 5)).float().pow(2).sum() * 100
    stepper.backward(loss, 0)
    # SGD at rate 1 moves the weights by the clipped gradient, whose norm is 0.25.
    assert float((flat(module) - before).norm()) == pytest.approx(0.25, rel=1e-4)


# ---- EMA ------------------------------------------------------------------------------


def test_ema_averages_weights_and_buffers_after_each_step() -> None:
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    stepper = stepper_for(module, lr=0.1, ema=averaged(module, 0.75))
    assert stepper.ema is not None
    seen = []
    for step in range(3):
        stepper.backward(module(torch.randn(8, 3)).pow(2).mean(), step)
        seen.append({k: v.clone() for k, v in module.state_dict().items()})
    # The first step copies; each later one keeps 0.75 of the average.
    first, second, third = (s["0.weight"] for s in seen)
    expected = 0.75 * (0.75 * first + 0.25 * second) + 0.25 * third
    assert torch.allclose(stepper.shipped.state_dict()["0.weight"], expected, atol=1e-6)
    mean = 0.75 * (0.75 * seen[0]["1.running_mean"] + 0.25 * seen[1]["1.running_mean"])
    mean += 0.25 * seen[2]["1.running_mean"]
    assert torch.allclose(stepper.shipped.state_dict()["1.running_mean"], mean, atol=1e-6)
    assert int(stepper.state_dict()["averaged"]) == 3


def test_the_average_is_evaluated_and_exported(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, DIGITS_MLP)
    out = tmp_path / "run"
    code, printed = train_here(spec, out, batch=32, ema=0.9)
    assert code == 0, printed
    shipped = weights(out / "last.safetensors")
    raw = torch.load(out / "checkpoint/state.pt", weights_only=True)["weights"]
    assert shipped.keys() == raw.keys()
    assert not identical(shipped, raw)  # the training state keeps the trained weights
    # The held-out accuracy recorded is the average's: `eval` of the exported file agrees.
    model = archdsl.load(spec).model()
    score = evaluate_weights(model, train_config(model), out / "last.safetensors")
    assert score.metrics["acc"] == history(out)[-1]["val_acc"]
    assert score.metrics["acc"] >= 0.9


# ---- resume ---------------------------------------------------------------------------


def signal_after(monkeypatch: pytest.MonkeyPatch, batches: int) -> None:
    """SIGTERM this process right after its `batches`-th batch's backward pass."""
    backward, done = Stepper.backward, itertools.count(1)

    def counted(self: Stepper, loss: torch.Tensor, step: int) -> None:
        backward(self, loss, step)
        if next(done) == batches:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Stepper, "backward", counted)


@pytest.mark.parametrize(
    ("recipe", "steps", "stopped_at"),
    [
        # 256 training samples in batches of 16, 3 to a step: 15 batches an epoch. The
        # signal after batch 4 of epoch 2 waits for the end of its window, batch 6.
        ({"accumulate": 3, "clip": 1.0, "ema": 0.9}, 15, 6),
        ({"precision": "fp16", "ema": 0.8, "optimizer.weight_decay": 1e-3}, 16, 4),
    ],
    ids=["accumulate-clip-ema", "fp16-ema-decay"],
)
def test_stopped_mid_epoch_then_resumed_matches(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recipe: dict[str, object],
    steps: int,
    stopped_at: int,
) -> None:
    data = blobs(320)
    whole = archdsl.fit(BLOBS_SPEC, data=data, out=tmp_path / "whole", **recipe)
    assert whole.history[-1]["val_acc"] >= 0.9
    signal_after(monkeypatch, steps + 4)
    with pytest.raises(KeyboardInterrupt):
        archdsl.fit(BLOBS_SPEC, data=data, out=tmp_path / "cut", **recipe)
    monkeypatch.undo()
    cut = state(tmp_path / "cut")
    assert cut["status"] == "interrupted"
    assert (cut["epoch"], cut["epoch_step"]) == (1, stopped_at)
    saved = torch.load(tmp_path / "cut/checkpoint/state.pt", weights_only=True)
    assert saved["averaged"] == (steps + stopped_at) // int(recipe.get("accumulate", 1))
    assert (saved["scaler"] is not None) == (recipe.get("precision") == "fp16")
    again = archdsl.fit(BLOBS_SPEC, data=data, out=tmp_path / "cut", resume=True, **recipe)
    assert identical(weights(again.last), weights(whole.last))
    trained = [
        torch.load(run / "checkpoint/state.pt", weights_only=True)["weights"]
        for run in (tmp_path / "cut", tmp_path / "whole")
    ]
    assert identical(*trained)
    scalers = [
        torch.load(run / "checkpoint/state.pt", weights_only=True)["scaler"]
        for run in (tmp_path / "cut", tmp_path / "whole")
    ]
    assert scalers[0] == scalers[1]  # growth tracker included: the scaler's state was resumed
    assert [r["val_acc"] for r in again.history] == [r["val_acc"] for r in whole.history]
    exported = {k: v.cpu() for k, v in again.module.state_dict().items()}
    assert identical(exported, weights(again.last))


# ---- no-decay groups ------------------------------------------------------------------


def test_norms_biases_and_params_take_no_decay() -> None:
    module = archdsl.build(archdsl.load(KINDS).model())
    names = [name for name, _ in module.named_parameters()]
    assert names == [
        "0.weight", "0.bias",  # conv
        "1.weight", "1.bias",  # batchnorm
        "3.value",  # param
        "6.weight", "6.bias",  # layernorm
        "7.weight", "7.bias",  # linear
    ]  # fmt: skip
    assert undecayed(module) == {
        "0.bias",
        "1.weight",
        "1.bias",
        "3.value",
        "6.weight",
        "6.bias",
        "7.bias",
    }
    by_id = {id(p): name for name, p in module.named_parameters()}
    config = TrainConfig.model_validate(
        {"data": "digits", "optimizer": {"kind": "adamw", "weight_decay": 0.05}}
    )
    groups = decay_groups(module, config.optimizer.weight_decay, config.no_decay)
    optimizer = make_optimizer(config.optimizer, groups, CPU)
    found = [
        (group["weight_decay"], sorted(by_id[id(p)] for p in group["params"]))
        for group in optimizer.param_groups
    ]
    assert found == [
        (0.05, ["0.weight", "7.weight"]),
        (0.0, ["0.bias", "1.bias", "1.weight", "3.value", "6.bias", "6.weight", "7.bias"]),
    ]


def test_no_decay_false_or_no_decay_at_all_keeps_one_group() -> None:
    module = archdsl.build(archdsl.load(KINDS).model())
    learned = len(list(module.parameters()))
    for decay, no_decay in ((0.05, False), (0.0, True)):
        (group,) = decay_groups(module, decay, no_decay)
        assert len(group["params"]) == learned and "weight_decay" not in group


def test_frozen_parameters_stay_out_of_every_group() -> None:
    module = archdsl.build(archdsl.load(KINDS).model())
    for p in module[0].parameters():
        p.requires_grad_(False)
    grouped = [p for g in decay_groups(module, 0.1, True) for p in g["params"]]
    assert len(grouped) == len(list(module.parameters())) - 2


# ---- precision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "recorded", "amp"),
    [("auto", "fp32", False), ("bf16", "bf16", True), ("fp16", "fp16", True)],
)
def test_precision_on_a_cpu(tmp_path: Path, precision: str, recorded: str, amp: bool) -> None:
    spec = spec_file(tmp_path, DIGITS_MLP)
    out = tmp_path / "run"
    code, printed = train_here(spec, out, batch=32, precision=precision)
    assert code == 0, printed
    assert history(out)[-1]["val_acc"] >= 0.9
    saved = json.loads((out / "config.json").read_text())["config"]
    assert (saved["precision"], saved["amp"]) == (recorded, amp)
    scaler = torch.load(out / "checkpoint/state.pt", weights_only=True)["scaler"]
    if precision == "fp16":
        assert scaler["scale"] > 1 and scaler["_growth_tracker"] == 2 * (1437 // 32)
    else:
        assert scaler is None
