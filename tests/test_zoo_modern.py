"""The modern zoo against torchvision: counts, `expect` lines and state_dict layouts.

tests/reference/modern_models.json holds, per model, torchvision's numbers
(params, buffers, MACs in the convention of docs/language.md) and the shapes
of its state_dict in module order, copied from torchvision's definitions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

import archdsl
from archdsl.ir import OpNode
from archdsl.ops.stochastic_depth import StochasticDepth
from tests.helpers import SPECS, run_cli

REFERENCE = Path(__file__).resolve().parent / "reference" / "modern_models.json"
MODELS: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))

# The squeeze-and-excitation family; each spec follows torchvision's modules in order.
SE_FAMILY = ["efficientnet_b0", "mobilenet_v3_large", "regnet_y_400mf"]


@pytest.mark.parametrize("name", SE_FAMILY)
def test_counts_equal_torchvision(name: str) -> None:
    reference = MODELS[name]
    model = archdsl.load(SPECS / f"{name}.arch").model()
    assert list(model.input) == reference["input"]
    assert list(model.output) == [1000]
    assert (model.params, model.buffers, model.macs) == (
        reference["params"],
        reference["buffers"],
        reference["macs"],
    )


@pytest.mark.parametrize("name", SE_FAMILY)
def test_expect_line_states_the_reference(name: str) -> None:
    # archdsl.load fails on an `expect` the model does not meet; this proves the
    # line is there and states torchvision's numbers, not some other ones.
    reference = MODELS[name]
    text = (SPECS / f"{name}.arch").read_text(encoding="utf-8")
    line = (
        f"expect params = {reference['params']:_}, buffers = {reference['buffers']:_}, "
        f"macs = {reference['macs']:_}"
    )
    assert line in text


@pytest.mark.parametrize("name", SE_FAMILY)
def test_state_dict_has_torchvisions_shapes_in_its_order(name: str) -> None:
    with torch.device("meta"):
        module = archdsl.build(SPECS / f"{name}.arch")
    got = [list(tensor.shape) for tensor in module.state_dict().values()]
    want = [shape for _key, shape in MODELS[name]["state_dict"]]
    assert got == want


@pytest.mark.parametrize("name", SE_FAMILY)
def test_check_verify_passes(name: str) -> None:
    result = run_cli("check", f"specs/{name}.arch", "--verify")
    assert result.returncode == 0, result.stderr
    params = MODELS[name]["params"]
    assert f"{params:,} params" in result.stdout.splitlines()[-1]


def test_efficientnet_drops_deeper_blocks_more_often() -> None:
    # torchvision: block i of 16 drops its branch with probability 0.2 * i / 16,
    # and only residual blocks have a branch to drop.
    model = archdsl.load(SPECS / "efficientnet_b0.arch").model()
    ops = [n.op for n in model.root.walk() if isinstance(n, OpNode)]
    rates = [op.p for op in ops if isinstance(op, StochasticDepth)]
    residual_blocks = [2, 4, 6, 7, 9, 10, 12, 13, 14]  # stride 1, as wide out as in
    assert rates == [0.2 * i / 16 for i in residual_blocks]
