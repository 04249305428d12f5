"""Names of values in the IR (a label names its value too), and the layout rules of
`softmax` and `layernorm`'s defaults: shape rule, torch module and ONNX agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from typer.testing import CliRunner

import archdsl
from archdsl.cli import app
from archdsl.export.onnx import export_onnx
from archdsl.report.summary import op_text
from tests.helpers import run_cli

LABELLED = """
block head(classes) {
  pool: avgpool(global) -> flatten
  out: linear(classes)
}

model labelled {
  input [3, 8, 8]
  stem: conv(6, 3x3, padding=1) -> relu
  side: conv(6, 1x1)
  both: add(stem, side)
  logits: stem -> head(7)
  aux: both -> head(2)
  output logits, aux
}
"""


def test_a_label_names_its_value_in_the_ir() -> None:
    model = archdsl.load(LABELLED).model()
    named = {v.id: v.name for v in model.values.values()}
    # A labelled chain's value is its last step's: `stem.1`, named `stem`.
    assert named["stem.1"] == "stem"
    assert named["side"] == "side"
    assert [named[v] for v in model.outputs] == ["logits", "aux"]
    # Inside a block the values keep its labels, one per call; the value a call gives
    # out takes the caller's name, the one the model's view uses.
    assert named["logits.0.pool.1"] == named["aux.0.pool.1"] == "pool"
    assert named["logits.0.out"] == "logits"
    merge = next(n for n in model.root.children if n.name == "both")
    assert op_text(merge, model) == "add(stem, side)"


def test_check_json_gives_each_value_its_label(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = tmp_path / "labelled.arch"
    spec.write_text(LABELLED)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", spec.name, "--json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)["models"][0]
    names = {v["id"]: v["name"] for v in model["values"]}
    assert [names[v] for v in model["outputs"]] == ["logits", "aux"]
    assert names["stem.1"] == "stem"
    assert names["@input"] is None


@pytest.mark.parametrize("classes", [7, 4])
def test_onnx_names_labelled_outputs_after_their_labels(tmp_path: Path, classes: int) -> None:
    spec = tmp_path / "labelled.arch"
    spec.write_text(LABELLED.replace("head(7)", f"head({classes})"))
    target = tmp_path / "labelled.onnx"
    result = run_cli("export", str(spec), "--onnx", str(target))
    assert result.returncode == 0, result.stderr
    graph = onnx.load(str(target)).graph
    assert [v.name for v in graph.output] == ["logits", "aux"]
    dims = [d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
    assert dims[1:] == [classes]


def test_onnx_output_names_stay_unique(tmp_path: Path) -> None:
    # Two names of one value (`copy = aux` names no new value): ONNX names it once.
    spec = LABELLED.replace("output logits, aux", "copy = aux\n  output aux, copy")
    model = archdsl.load(spec).model()
    assert [model.values[v].name for v in model.outputs] == ["aux", "aux"]
    path = tmp_path / "m.onnx"
    export_onnx(archdsl.build(model).eval(), model, path)
    assert [v.name for v in onnx.load(str(path)).graph.output] == ["aux", "output_1"]


# ---- softmax: the axis follows the layout -------------------------------------------


def _softmax_model(shape: list[int], call: str) -> archdsl.Model:
    return archdsl.load(f"model s {{\n  input {shape}\n  {call}\n}}\n").model()


@pytest.mark.parametrize(
    ("shape", "call", "axis"),
    [
        ([5, 8], "softmax", 2),  # tokens [T, D]: over D
        ([6, 4, 3], "softmax", 1),  # an image: over the channels
        ([7], "softmax", 1),  # features
        ([5, 8], "softmax(dim=0)", 1),  # a 1-D signal [C, L]: over C, asked for
        ([6, 4, 3], "softmax(dim=-1)", 3),
    ],
)
def test_softmax_normalises_the_axis_of_its_layout(
    shape: list[int], call: str, axis: int, tmp_path: Path
) -> None:
    model = _softmax_model(shape, call)
    module = archdsl.build(model).eval()
    x = torch.randn(2, *shape)
    with torch.no_grad():
        y = module(x)
    torch.testing.assert_close(y.sum(axis), torch.ones_like(y.sum(axis)))
    others = [d for d in range(1, len(shape) + 1) if d != axis]
    if others:  # and not over any other axis
        assert not torch.allclose(y.sum(others[0]), torch.ones_like(y.sum(others[0])))
    path = tmp_path / "s.onnx"
    export_onnx(module, model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, y.numpy(), rtol=0, atol=1e-6)


def test_token_defaults_verify_against_torch(tmp_path: Path) -> None:
    spec = tmp_path / "tokens.arch"
    spec.write_text("model t {\n  input [5, 8]\n  layernorm -> linear(6) -> softmax\n}\n")
    result = run_cli("check", str(spec), "--verify", "--json")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)["models"][0]
    assert model["params"] == 2 * 8 + 8 * 6 + 6
    assert [n["out_shape"] for n in model["nodes"]] == [[5, 8], [5, 6], [5, 6]]


def test_layernorm_default_follows_the_layout() -> None:
    # Tokens [T, D]: each token's D numbers (nn.LayerNorm(D)), 2·D parameters.
    tokens = archdsl.load("model t {\n  input [5, 8]\n  layernorm\n}\n").model()
    assert tokens.params == 2 * 8
    # An image keeps normalising the whole sample: 2·C·H·W, as the classic specs count.
    image = archdsl.load("model i {\n  input [3, 4, 4]\n  layernorm\n}\n").model()
    assert image.params == 2 * 3 * 4 * 4
    module = archdsl.build(tokens).eval()
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        y = module(x)
    torch.testing.assert_close(y.mean(-1), torch.zeros(2, 5), atol=1e-5, rtol=0)


# ---- gru and lstm give their last state with state=true ------------------------------

RECURRENT = """
model net {{
  input [6, 8]
  seq, h = gru({hidden}, layers=2, bidirectional=true, state=true)
  s2, h2, c2 = seq -> lstm(5, state=true)
  output seq, h, s2, h2, c2
}}
"""


@pytest.mark.parametrize("hidden", [16, 7])
def test_recurrent_states_are_torch_s_batch_first(hidden: int, tmp_path: Path) -> None:
    model = archdsl.load(RECURRENT.format(hidden=hidden)).model()
    shapes = [model.values[v].shape for v in model.outputs]
    assert shapes == [(6, 2 * hidden), (4, hidden), (6, 5), (1, 5), (1, 5)]
    module = archdsl.build(model).eval()
    # torch's parameter names are unchanged: the state is only what forward returns.
    assert list(module.state_dict())[:2] == ["0.weight_ih_l0", "0.weight_hh_l0"]
    x = torch.randn(3, 6, 8)
    with torch.no_grad():
        got = module(x)
        gru = module.get_submodule("0")
        want_seq, want_h = torch.nn.GRU.forward(gru, x)
        lstm = module.get_submodule("1")
        _, (want_h2, want_c2) = torch.nn.LSTM.forward(lstm, want_seq)
    assert [tuple(t.shape) for t in got] == [(3, *s) for s in shapes]
    torch.testing.assert_close(got[0], want_seq)
    torch.testing.assert_close(got[1], want_h.transpose(0, 1))
    torch.testing.assert_close(got[3], want_h2.transpose(0, 1))
    torch.testing.assert_close(got[4], want_c2.transpose(0, 1))
    path = tmp_path / "r.onnx"
    export_onnx(module, model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["seq", "h", "s2", "h2", "c2"]
    for g, w in zip(session.run(None, {"input": x.numpy()}), got, strict=True):
        np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=1e-5)


def test_recurrent_state_verifies_against_torch(tmp_path: Path) -> None:
    spec = tmp_path / "r.arch"
    spec.write_text(RECURRENT.format(hidden=9))
    result = run_cli("check", str(spec), "--verify")
    assert result.returncode == 0, result.stderr
    assert "verified net against torch" in result.stdout
