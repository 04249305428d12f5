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
from archdsl.ops.layout import ChannelShuffle
from archdsl.ops.split import Chunk
from archdsl.ops.stochastic_depth import StochasticDepth
from tests.helpers import SPECS, run_cli

REFERENCE = Path(__file__).resolve().parent / "reference" / "modern_models.json"
MODELS: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))

# Each spec follows torchvision's modules in order.
ZOO = sorted(MODELS)


@pytest.mark.parametrize("name", ZOO)
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


@pytest.mark.parametrize("name", ZOO)
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


@pytest.mark.parametrize("name", ZOO)
def test_state_dict_has_torchvisions_shapes_in_its_order(name: str) -> None:
    with torch.device("meta"):
        module = archdsl.build(SPECS / f"{name}.arch")
    got = [list(tensor.shape) for tensor in module.state_dict().values()]
    want = [shape for _key, shape in MODELS[name]["state_dict"]]
    assert got == want


@pytest.mark.parametrize("name", ZOO)
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


def test_swin_t_drops_deeper_blocks_more_often() -> None:
    # torchvision: block i of 12 drops both its branches with probability 0.2 * i / 11.
    model = archdsl.load(SPECS / "swin_t.arch").model()
    ops = [n.op for n in model.root.walk() if isinstance(n, OpNode)]
    rates = [op.p for op in ops if isinstance(op, StochasticDepth)]
    assert rates == pytest.approx([0.2 * i / 11 for i in range(12) for _ in range(2)])


def test_swin_t_attention_share_of_the_macs() -> None:
    model = archdsl.load(SPECS / "swin_t.arch").model()
    # Each of the 12 blocks: 2 products of every token with the 49 of its window.
    per_stage = [(56 * 56, 96, 2), (28 * 28, 192, 2), (14 * 14, 384, 6), (7 * 7, 768, 2)]
    assert model.attention_macs == sum(2 * t * 49 * d * n for t, d, n in per_stage)
    result = run_cli("check", "specs/swin_t.arch")
    assert "Attention    140,141,568 MACs  (3.1%, in q·kᵀ and attn·v)" in result.stdout
    report = json.loads(run_cli("check", "specs/swin_t.arch", "--json").stdout)["models"][0]
    assert report["attention_macs"] == 140_141_568
    nodes = {node["path"]: node for node in report["nodes"]}
    # The first block's window attention: 3,136 tokens, each against its 49, width 96.
    attention = nodes["stage1.0.0.0.0.body.1"]
    assert attention["summary"] == "window_attention(3, 7)"
    assert attention["attention_macs"] == 2 * 3136 * 49 * 96
    assert attention["macs"] == 3136 * 4 * 96 * 96 + attention["attention_macs"]


def test_inception_v3_gives_the_aux_head_as_a_second_output() -> None:
    # torchvision's AuxLogits reads Mixed_6e's 768x17x17 map; its numbers are the
    # difference between the model with it and without it (aux_logits=False),
    # 23,834,568 params and 5,713,216,096 MACs, the spec's numbers before the head.
    model = archdsl.load(SPECS / "inception_v3.arch").model()
    nodes = {node.path: node for node in model.root.children}
    aux, mixed6 = nodes["aux"], nodes["mixed6"]
    assert aux.inputs == mixed6.outputs
    assert model.values[mixed6.outputs[0]].shape == (768, 17, 17)
    assert nodes["mixed7a"].inputs == mixed6.outputs  # the main path goes on from Mixed_6e
    assert model.outputs == [nodes["logits"].outputs[0], aux.outputs[0]]
    assert [model.values[v].shape for v in model.outputs] == [(1000,), (1000,)]
    assert model.params - aux.params == 23_834_568
    assert model.macs - aux.macs == 5_713_216_096


def test_inception_v3_module_returns_logits_then_aux() -> None:
    with torch.device("meta"):
        module = archdsl.build(SPECS / "inception_v3.arch")
        logits, aux = module(torch.empty(2, 3, 299, 299))
    assert (tuple(logits.shape), tuple(aux.shape)) == ((2, 1000), (2, 1000))


def test_shufflenet_units_split_and_shuffle() -> None:
    # Per stage one halving unit (no split) and units - 1 basic units (a split
    # into halves); every unit ends in a shuffle of two groups: 4 + 8 + 4 units.
    model = archdsl.load(SPECS / "shufflenet_v2_x1_0.arch").model()
    ops = [n.op for n in model.root.walk() if isinstance(n, OpNode)]
    assert [op.chunks for op in ops if isinstance(op, Chunk)] == [2] * (3 + 7 + 3)
    shuffles = [op for op in ops if isinstance(op, ChannelShuffle)]
    assert [op.groups for op in shuffles] == [2] * 16


def test_convnext_drops_deeper_blocks_more_often() -> None:
    # torchvision: block i of 18 drops its branch with probability 0.1 * i / 17.
    model = archdsl.load(SPECS / "convnext_tiny.arch").model()
    ops = [n.op for n in model.root.walk() if isinstance(n, OpNode)]
    rates = [op.p for op in ops if isinstance(op, StochasticDepth)]
    assert rates == [0.1 * i / 17 for i in range(18)]


def test_vit_class_token_and_positions_sit_where_torchvision_keeps_them() -> None:
    # torchvision registers class_token on the model itself, before conv_proj,
    # and pos_embedding first in the encoder; the spec makes them in that order.
    with torch.device("meta"):
        module = archdsl.build(SPECS / "vit_b_16.arch")
    shapes = [list(t.shape) for t in module.state_dict().values()]
    assert shapes[:4] == [[1, 1, 768], [768, 3, 16, 16], [768], [1, 197, 768]]
