"""`eject` on graphs of named values: a forward written from the plan, and the same
module as archdsl.build (state_dict keys, shapes and outputs), for fresh arguments too."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import archdsl
from archdsl.export.eject import EjectError, eject
from tests.test_dag import SE as SE_BLOCK
from tests.test_dag import TWO_HEADS
from tests.test_eject import _model_class

SE_MODEL = (
    SE_BLOCK
    + """
model se_net {
  input [3, 12, 12]
  conv(16, 3x3, padding=1) -> relu -> squeeze_excite(4)
  conv(24, 3x3, stride=2, padding=1) -> relu -> squeeze_excite(6)
  avgpool(global) -> flatten -> linear(5)
}
"""
)

UNET_LIKE = """
model unet_like {
  input image: [1, 16, 16]
  e1 = conv(8, 3x3, padding=1) -> relu
  e2 = conv(16, 3x3, padding=1) -> relu
  low, high = split([4, 12])
  e3 = conv(16, 3x3, padding=1) -> relu
  d2 = concat(e3, e2, high, dim=0) -> conv(16, 3x3, padding=1) -> relu
  d1 = concat(d2, e1, low) -> conv(2, 1x1)
}
"""

VIT_LIKE = """
model vit_like {
  input [3, 8, 8]
  patches = conv(16, 4x4, stride=4)
  cls = param([16, 1, 2], init=normal, std=0.5)
  tokens = concat(cls, patches, dim=1)
  pos = param([16, 3, 2], init=trunc_normal)
  add(tokens, pos) -> avgpool(global) -> flatten
  flat = linear(12)
  token = param([1, 4], init=ones)
  concat(token, flat) -> linear(3)
}
"""


def _agrees(source: str, model: archdsl.Model) -> nn.Module:
    """Same state_dict keys, shapes and outputs as archdsl.build, its weights loaded."""
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    ejected = _model_class(source)().eval()
    same_module(ejected, built, [model.values[v].shape for v in model.inputs])
    return ejected


def same_module(ejected: nn.Module, built: nn.Module, shapes: list[tuple[int, ...]]) -> None:
    want = {k: tuple(v.shape) for k, v in built.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in ejected.state_dict().items()}
    assert list(got.items()) == list(want.items())
    ejected.load_state_dict(built.state_dict(), strict=True)
    inputs = [torch.randn(3, *shape) for shape in shapes]
    with torch.no_grad():
        torch.testing.assert_close(ejected(*inputs), built(*inputs), rtol=1e-5, atol=1e-5)


def _source(spec: str) -> tuple[str, archdsl.Model]:
    program = archdsl.load(spec)
    model = program.model()
    return eject(model, program.sources, "spec.arch"), model


@pytest.mark.parametrize(
    "spec", [SE_MODEL, UNET_LIKE, VIT_LIKE, TWO_HEADS], ids=["se", "unet", "vit", "two"]
)
def test_graphs_eject_to_the_same_module(spec: str) -> None:
    source, model = _source(spec)
    _agrees(source, model)


def test_forward_is_written_from_the_plan_with_the_specs_names() -> None:
    source, model = _source(TWO_HEADS)
    ejected = _agrees(source, model)
    assert "    def forward(\n        self,\n        image: torch.Tensor,\n" in source
    assert "        a, b = self[4](e2)\n" in source
    assert "        s = self[5](e2, extra)\n" in source
    assert "        gain = self[6]()\n" in source
    assert "        return logits, aux\n" in source
    logits, aux = ejected(torch.randn(2, 3, 16, 16), torch.randn(2, 24, 8, 8))
    assert (tuple(logits.shape), tuple(aux.shape)) == ((2, 10), (2, 3))
    # the block's gate: a graph of its own, its input `x`
    assert "        e2 = self[5](x, gate)\n        return e2\n" in source


def test_labelled_steps_are_attributes_and_name_their_values() -> None:
    spec = """
model labelled {
  input image: [3, 8, 8]
  stem: conv(8, 3x3, padding=1) -> relu
  gate = avgpool(global) -> sigmoid
  mul(stem, gate)
  head: avgpool(global) -> flatten -> linear(4)
}
"""
    source, model = _source(spec)
    _agrees(source, model)
    assert "class Labelled(nn.Module):" in source
    assert "        stem = self.stem(image)\n" in source
    assert "        h3 = self.merge(stem, gate)\n        head = self.head(h3)\n" in source


def test_unet_skips_reach_across_the_model() -> None:
    source, _ = _source(UNET_LIKE)
    assert "        low, high = self[4](e2)\n" in source
    assert "        h7 = self[7](e3, e2, high)\n" in source
    assert "        h10 = self[10](d2, e1, low)\n" in source
    assert "Split((4, 12))" in source


def test_se_class_is_right_for_fresh_arguments() -> None:
    """The block's class is derived from its parameters: built with values the spec never
    used, it equals what archdsl builds for a call with those values."""
    source, _ = _source(SE_MODEL)
    assert "nn.Conv2d(squeeze, in_channels, 1)" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "ejected.py", "exec"), namespace)
    fresh = SE_BLOCK + "model m {\n  input [40, 5, 5]\n  squeeze_excite(10)\n}\n"
    torch.manual_seed(1)
    built = archdsl.build(fresh).eval()
    block = namespace["SqueezeExcite"](40, squeeze=10).eval()
    same_module(block, built.get_submodule("0"), [(40, 5, 5)])


def test_a_group_joining_values_inside_a_model_is_refused_clearly() -> None:
    spec = "model m {\n  input [4]\n  part: {\n    a = linear(4)\n    add(a, a)\n  }\n}\n"
    program = archdsl.load(spec)
    with pytest.raises(EjectError, match="the group `part` joins named values"):
        eject(program.model(), program.sources)
