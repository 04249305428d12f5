"""What squeeze-and-excitation networks needed: `mul { | }` with broadcasting,
`hardsigmoid` and `stochastic_depth`, from shape rule to torch module."""

from __future__ import annotations

import pytest
import torch

import archdsl
from archdsl.backend.modules import StochasticDepth
from archdsl.ir import ParallelNode
from archdsl.ops.shape_math import broadcast_shapes


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [
        ((64, 56, 56), (64, 1, 1), (64, 56, 56)),
        ((64, 1, 1), (64, 56, 56), (64, 56, 56)),
        ((8, 5, 7), (7,), (8, 5, 7)),
        ((8, 1, 7), (5, 1), (8, 5, 7)),
        ((3,), (1,), (3,)),
        ((), (4, 2), (4, 2)),
        ((64, 56, 56), (32, 1, 1), None),
        ((8, 5, 7), (5,), None),
    ],
)
def test_broadcast_shapes_follows_numpy(
    a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...] | None
) -> None:
    assert broadcast_shapes(a, b) == out


def _mul_node(spec: str) -> ParallelNode:
    node = archdsl.load(spec).model().root.children[-1]
    assert isinstance(node, ParallelNode)
    return node


def test_mul_gives_the_broadcast_shape_and_no_macs_of_its_own() -> None:
    node = _mul_node(
        "model m {\n  input [12, 5, 7]\n"
        "  mul { | identity | avgpool(global) -> conv(3, 1x1) -> conv(12, 1x1) | conv(1, 1x1) }\n}"
    )
    assert node.merge == "mul"
    assert node.out_shape == (12, 5, 7)
    # The two gate convs on a 1x1 map and the 1-channel conv on 5x7: the product is free.
    assert node.macs == 12 * 3 + 3 * 12 + 12 * 35
    assert node.params == (12 * 3 + 3) + (3 * 12 + 12) + (12 + 1)


def test_mul_multiplies_branches_aligned_from_the_right() -> None:
    spec = (
        "model m {\n  input [4, 3, 5]\n"
        "  mul { | identity | avgpool(global) | avgpool(global) -> flatten -> linear(5) }\n}"
    )
    model = archdsl.load(spec).model()
    assert model.output == (4, 3, 5)
    module = archdsl.build(model).eval()
    x = torch.randn(2, 4, 3, 5)
    linear = module.get_submodule("0.2.2")
    gate = linear(x.mean((2, 3)))  # [N, 5]: a per-sample [5], aligned with the width
    want = x * x.mean((2, 3), keepdim=True) * gate[:, None, None, :]
    torch.testing.assert_close(module(x), want)


def test_hardsigmoid_is_torchs() -> None:
    module = archdsl.build("model m {\n  input [7]\n  hardsigmoid\n}").eval()
    x = torch.tensor([[-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0]])
    want = torch.tensor([[0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]])
    torch.testing.assert_close(module(x.clone()), want)


def test_stochastic_depth_drops_rows_while_training_only() -> None:
    module = archdsl.build("model m {\n  input [3]\n  stochastic_depth(0.25)\n}")
    x = torch.ones(4000, 3)
    assert torch.equal(module.eval()(x), x)
    torch.manual_seed(0)
    out = module.train()(x)
    # Each row is dropped whole or kept and scaled by 1 / (1 - p).
    rows = out[:, 0]
    assert torch.equal(out, rows[:, None].expand(-1, 3))
    assert rows.unique().tolist() == pytest.approx([0.0, 1 / 0.75])
    dropped = (rows == 0).float().mean().item()
    assert 0.22 < dropped < 0.28


def test_stochastic_depth_batch_mode_drops_the_whole_batch() -> None:
    layer = StochasticDepth(0.5, "batch").train()
    x = torch.ones(64, 2)
    torch.manual_seed(1)
    outcomes = {tuple(layer(x).unique().tolist()) for _ in range(20)}
    assert outcomes == {(0.0,), (2.0,)}
    assert torch.equal(StochasticDepth(1.0, "row").train()(x), torch.zeros(64, 2))
    assert StochasticDepth(0.0, "row").train()(x) is x
    assert repr(layer) == "StochasticDepth(p=0.5, mode=batch)"
