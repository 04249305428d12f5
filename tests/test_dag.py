"""Named values and the graph IR: elaboration, the values it records, the built module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import archdsl
from archdsl.backend.value_modules import Graph
from archdsl.backend.verify import verify
from archdsl.ir import OpNode, is_chain
from tests.helpers import run_cli

SE = """
block squeeze_excite(squeeze) {
  input x
  gate = avgpool(global) -> conv(squeeze, 1x1) -> relu -> conv(x.channels, 1x1) -> sigmoid
  mul(x, gate)
}
"""

TWO_HEADS = (
    SE
    + """
model two_heads {
  input image: [3, 16, 16]
  input extra: [24, 8, 8]
  e1 = conv(24, 3x3, padding=1) -> relu
  e2 = maxpool(2x2) -> squeeze_excite(6)
  a, b = chunk(2)
  s = add(e2, extra)
  gain = param([24, 1, 1], init=ones)
  t = mul(s, gain)
  logits = concat(t, a, b, dim=0) -> avgpool(global) -> flatten -> linear(10)
  aux = e1 -> avgpool(global) -> flatten -> linear(3)
  output logits, aux
}
"""
)


def test_values_and_their_shapes() -> None:
    model = archdsl.load(TWO_HEADS).model()
    assert model.inputs == ["@image", "@extra"]
    assert model.outputs == ["11", "14"]
    values = model.values
    assert values["@extra"].shape == (24, 8, 8)
    # a block exposes the value made inside it: here its last step's
    assert values["3.5"].name == "e2" and values["3.5"].shape == (24, 8, 8)
    # chunk makes two values: the node's path, then path#1
    assert (values["4"].shape, values["4#1"].shape) == ((12, 8, 8), (12, 8, 8))
    assert (values["4"].name, values["4#1"].name) == ("a", "b")
    # param: a value shared by every sample, its whole stored shape
    assert values["6"].batched is False and values["6"].shape == (24, 1, 1)
    assert values["8"].shape == (48, 8, 8)  # concat of 24 + 12 + 12 channels
    assert (model.input, model.output) == ((3, 16, 16), (10,))
    assert not is_chain(model)


def test_merge_nodes_read_every_value_they_join() -> None:
    model = archdsl.load(TWO_HEADS).model()
    nodes = {n.path: n for n in model.root.walk()}
    concat = nodes["8"]
    assert isinstance(concat, OpNode)
    assert concat.inputs == ["7", "4", "4#1"]
    assert nodes["5"].inputs == ["3.5", "@extra"]
    # the block reads the flowing value only; its inside reads `x` twice
    block = nodes["3"]
    assert block.inputs == ["2"] and block.outputs == ["3.5"]
    assert nodes["3.5"].inputs == ["2", "3.4"]
    # counts: conv 3*24*9+24, SE 24*6+6 + 6*24+24, gain 24, linears 48*10+10 and 24*3+3
    assert model.params == 672 + 318 + 24 + 490 + 75


def test_module_runs_the_graph_and_verifies() -> None:
    model = archdsl.load(TWO_HEADS).model()
    module = archdsl.build(model)
    assert isinstance(module, Graph)
    assert isinstance(module.get_submodule("6").value, torch.nn.Parameter)
    assert tuple(module.get_submodule("6").value.shape) == (24, 1, 1)
    logits, aux = module(torch.randn(2, 3, 16, 16), torch.randn(2, 24, 8, 8))
    assert (tuple(logits.shape), tuple(aux.shape)) == ((2, 10), (2, 3))
    result = verify(model)
    assert result.mismatches == [] and result.params == model.params


def test_graph_computes_what_it_says() -> None:
    """The plan feeds each node the values the IR names: compare with a hand computation."""
    spec = """
model m {
  input [4]
  a = linear(4)
  b = linear(4)
  mul(a, b)
}
"""
    module = archdsl.build(spec)
    x = torch.randn(3, 4)
    first, second = module.get_submodule("0"), module.get_submodule("1")
    assert torch.allclose(module(x), first(x) * second(first(x)))


def test_activation_is_not_in_place_where_its_input_is_read_again() -> None:
    spec = """
model m {
  input [8]
  a = linear(8)
  r = relu
  add(a, r)
}
"""
    module = archdsl.build(spec)
    assert module.get_submodule("1").inplace is False
    x = torch.randn(5, 8)
    a = module.get_submodule("0")(x)
    assert torch.allclose(module(x), a + torch.relu(a))


def test_class_token_joins_tokens_with_broadcasting() -> None:
    spec = """
model m {
  input [3, 8, 8]
  x = conv(16, 4x4, stride=4) -> flatten
  cls = param([1, 16], init=normal, std=0.5)
  concat(cls, x, dim=0)
}
"""
    model = archdsl.load(spec).model()
    assert model.output == (80,)  # the shared [1, 16] joins the flat [64] of each sample
    module = archdsl.build(model)
    out = module(torch.randn(2, 3, 8, 8))
    assert tuple(out.shape) == (2, 80)
    assert torch.equal(out[0, :16], out[1, :16])


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("a = conv(8, 1x1)\n  b = conv(8, 1x1)\n  mul(a, b)", (8, 4, 4)),
        ("g = avgpool(global)\n  mul(x, g)", (3, 4, 4)),
        ("a, b, c = split([1, 1, 1])\n  add(a, b, c)", (1, 4, 4)),
        ("w = param([4, 1], init=ones)\n  mul(x, w)", (3, 4, 4)),
    ],
)
def test_broadcast_shapes(spec: str, want: tuple[int, ...]) -> None:
    model = archdsl.load(f"model m {{\n  input x: [3, 4, 4]\n  {spec}\n}}\n").model()
    assert model.output == want
    assert verify(model).mismatches == []


def test_check_table_and_json_show_the_values(tmp_path: Path) -> None:
    spec = tmp_path / "two_heads.arch"
    spec.write_text(TWO_HEADS)
    table = run_cli("check", spec.name, "--depth", "-1", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert any(line.split()[:2] == ["5", "add(e2,"] for line in lines)
    assert "Input 2      extra  [N, 24, 8, 8]" in lines
    assert "Output 2     aux  [N, 3]" in lines
    chunk = next(line for line in lines if "chunk(2)" in line)
    assert "[N, 12, 8, 8], [N, 12, 8, 8]" in chunk
    gain = next(line for line in lines if "param(" in line)
    assert "[24, 1, 1]" in gain and "[N, 24" not in gain
    report = json.loads(run_cli("check", spec.name, "--json", cwd=tmp_path).stdout)["models"][0]
    assert report["inputs"] == ["@image", "@extra"]
    assert report["outputs"] == ["11", "14"]
    values = {v["id"]: v for v in report["values"]}
    assert values["6"] == {
        "id": "6",
        "name": "gain",
        "shape": [24, 1, 1],
        "batched": False,
        "span": values["6"]["span"],
    }
    assert values["6"]["span"]["line"] == 15
    concat = next(n for n in report["nodes"] if n["path"] == "8")
    assert concat["inputs"] == ["7", "4", "4#1"]
    assert concat["summary"] == "concat(t, a, b)"
