"""The CUDA path: bf16 autocast, channels-last, the dataset held on the GPU, compile.

These run only where torch sees a GPU; CI has none, so `bench/gpu_checks.sh`
runs them (with the GPU benchmarks) on a machine that has one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import archdsl
from archdsl.train.evaluate import evaluate_weights
from archdsl.train.resolve import Override, train_config
from tests.helpers import SPECS
from tests.train_helpers import history, train_here

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

SPEC = SPECS / "digits_convnet.arch"


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gpu_run")
    code, printed = train_here(SPEC, out, device="cuda")
    assert code == 0, printed
    assert "on cuda:0;" in printed
    return out


def test_digits_convnet_learns_on_the_gpu(gpu_run: Path) -> None:
    records = history(gpu_run)
    assert records[-1]["val_acc"] >= 0.98, records[-1]
    saved = json.loads((gpu_run / "config.json").read_text())
    assert saved["run"]["device"] == "cuda:0"
    assert saved["config"]["amp"] is True
    assert saved["config"]["precision"] == "bf16"
    assert saved["config"]["channels_last"] is True


def test_fp16_with_a_scaler_accumulation_clipping_and_ema(tmp_path: Path) -> None:
    settings = {"precision": "fp16", "accumulate": 2, "clip": 1.0, "ema": 0.99}
    code, printed = train_here(SPEC, tmp_path, device="cuda", **settings)
    assert code == 0, printed
    assert history(tmp_path)[-1]["val_acc"] >= 0.97
    saved = json.loads((tmp_path / "config.json").read_text())["config"]
    assert (saved["precision"], saved["amp"]) == ("fp16", True)
    state = torch.load(tmp_path / "checkpoint/state.pt", weights_only=True)
    assert state["scaler"]["scale"] > 1 and state["averaged"] > 0


def test_weights_trained_on_the_gpu_score_the_same_on_the_cpu(gpu_run: Path) -> None:
    """bf16 autocast trains the weights; float32 on the CPU must agree with the
    run's own last evaluation to within three of the 360 held-out digits."""
    model = archdsl.load(SPEC).model()
    config = train_config(model, [Override("device", "cpu", "--device cpu")])
    score = evaluate_weights(model, config, gpu_run / "last.safetensors")
    assert abs(score.accuracy - history(gpu_run)[-1]["val_acc"]) <= 3 / 360


def test_built_module_computes_on_the_gpu_as_on_the_cpu() -> None:
    torch.manual_seed(0)
    module = archdsl.build(SPECS / "resnet20_cifar.arch").eval()
    x = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        want = module(x)
        tf32 = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = False  # compare float32 with float32
        try:
            got = module.cuda()(x.cuda()).cpu()
        finally:
            torch.backends.cudnn.allow_tf32 = tf32
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_compiled_training_on_the_gpu(tmp_path: Path) -> None:
    code, printed = train_here(SPEC, tmp_path, device="cuda", epochs=3, compile=True)
    assert code == 0, printed
    records = history(tmp_path)
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert records[-1]["train_loss"] < records[0]["train_loss"]
