"""`eject` of graphs of named values: a model or block whose values do not form a chain
gets a forward pass written one line per step, with locals named after its values;
several inputs and outputs, merges, `param`, `chunk` and `split` included."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import archdsl
from archdsl.export.eject import EjectError, eject
from tests.helpers import run_cli
from tests.test_dag import SE as SE_BLOCK
from tests.test_dag import TWO_HEADS

SE_MODEL = (
    SE_BLOCK
    + """
model se_net {
  input [3, 12, 12]
  conv(16, 3x3, padding=1) -> relu -> squeeze_excite(4)
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
  e3 = low -> conv(16, 3x3, padding=1) -> relu
  d2 = concat(e3, e2, high, dim=0) -> conv(16, 3x3, padding=1) -> relu
  d1 = concat(d2, e1, low) -> conv(2, 1x1)
}
"""

VIT_LIKE = """
model vit_like {
  input [3, 8, 8]
  patches = conv(16, 4x4, stride=4)
  cls = param([16, 1, 2], init=normal, std=0.5)
  seq = concat(cls, patches, dim=1)
  add(seq, cls) -> avgpool(global) -> flatten -> linear(3)
}
"""


@pytest.mark.parametrize(
    ("spec", "name"),
    [(SE_MODEL, "se_net"), (UNET_LIKE, "unet_like"), (VIT_LIKE, "vit_like"), (TWO_HEADS, None)],
    ids=["se", "unet", "vit", "two"],
)
def test_graphs_eject_to_the_same_module(tmp_path: Path, spec: str, name: str | None) -> None:
    (tmp_path / "g.arch").write_text(spec)
    result = run_cli("eject", "g.arch", "-o", "g.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    program = archdsl.load(spec)
    model = program.model()
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    namespace: dict[str, object] = {}
    exec(compile((tmp_path / "g.py").read_text(), "g.py", "exec"), namespace)
    cls = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, nn.Module)][-1]
    ejected = cls().eval()
    assert [k for k in ejected.state_dict()] == [k for k in built.state_dict()]
    ejected.load_state_dict(built.state_dict(), strict=True)
    xs = [torch.randn(2, *model.values[v].shape) for v in model.inputs]
    with torch.no_grad():
        got, want = ejected(*xs), built(*xs)
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want) == len(model.outputs)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)


def test_two_heads_reads_its_values_by_name() -> None:
    program = archdsl.load(TWO_HEADS)
    source = eject(program.model(), program.sources)
    assert "        image: torch.Tensor,\n        extra: torch.Tensor,\n" in source
    assert "    ) -> tuple[torch.Tensor, torch.Tensor]:\n" in source
    assert "        a, b = self[4](e2)\n" in source
    assert "        s = self[5](e2, extra)\n" in source
    assert "        return logits, aux\n" in source
    assert "gate = self[" in source and "(x, gate)" in source  # the SE block's own values


def test_an_if_among_named_values_is_refused_clearly(tmp_path: Path) -> None:
    spec = """
block b(gate) {
  input x
  y = conv(4, 1x1)
  if gate { relu }
  add(x, y)
}
model m {
  input [4, 8, 8]
  b(true)
}
"""
    program = archdsl.load(spec)
    with pytest.raises(
        EjectError, match=r"block `b`: eject cannot write a group or `if` among named values"
    ):
        eject(program.model(), program.sources)
    (tmp_path / "g.arch").write_text(spec)
    result = run_cli("eject", "g.arch", "-o", "g.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g.py").exists()


TWO_OUT = """
block halves(c) {
  input x
  a = conv(c, 1x1)
  b = x -> conv(c * 2, 3x3, padding=1) -> avgpool(global)
  output a, b
}
model m {
  input [4, 8, 8]
  l, r = halves(3)
  s = r -> flatten -> linear(5)
  t = l -> conv(2, 1x1) -> flatten
  output s, t
}
"""


def test_a_block_of_two_outputs_gives_each_its_sizes() -> None:
    program = archdsl.load(TWO_OUT)
    model = program.model()
    source = eject(model, program.sources)
    # The second output's width (c * 2) sizes the linear after it; `l` is `l_` (E741).
    assert "nn.Linear(6, 5)" in source and "nn.Conv2d(3, 2, 1)" in source
    assert "        l_, r = self[0](x)\n" in source
    namespace: dict[str, object] = {}
    exec(compile(source, "m.py", "exec"), namespace)
    cls = namespace["M"]
    assert isinstance(cls, type)
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    ejected = cls().eval()
    ejected.load_state_dict(built.state_dict(), strict=True)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        for got, want in zip(ejected(x), built(x), strict=True):
            torch.testing.assert_close(got, want)


STATES = """
model g {
  input [6, 5]
  seq, h = gru(8, layers=2, state=true)
  s, h2, c2 = seq -> lstm(4, bidirectional=true, state=true)
  a = s -> layernorm -> softmax -> mean(0)
  b = h -> flatten -> linear(3)
  k = c2 -> flatten -> linear(3)
  add(b, k) -> softmax(dim=-1)
  output a
}
"""


def test_recurrent_states_and_token_defaults_eject_as_the_ops_build_them() -> None:
    program = archdsl.load(STATES)
    model = program.model()
    source = eject(model, program.sources)
    # The modules and axes are those to_torch picks: the state-giving GRU and LSTM,
    # layernorm and softmax over D of tokens [T, D]; the states size the linears.
    assert "StateGRU(5, 8, 2, batch_first=True)" in source
    assert "StateLSTM(8, 4, 1, batch_first=True, bidirectional=True)" in source
    assert "nn.LayerNorm(8)," in source and "nn.Softmax(dim=2)," in source
    assert "nn.Linear(16, 3)" in source and "nn.Linear(8, 3)" in source
    assert "        s, h2, c2 = self[1](seq)\n" in source
    namespace: dict[str, object] = {}
    exec(compile(source, "g.py", "exec"), namespace)
    cls = namespace["G"]
    assert isinstance(cls, type)
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    ejected = cls().eval()
    ejected.load_state_dict(built.state_dict(), strict=True)
    x = torch.randn(2, 6, 5)
    with torch.no_grad():
        torch.testing.assert_close(ejected(x), built(x))
