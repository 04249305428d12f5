"""What the commands after `check` do with a graph of named values: build, ONNX,
`graph`, the receptive field and train handle it (train: one input); eject says
clearly that it does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.export.onnx import export_onnx
from archdsl.graph.diagram import build_diagram
from archdsl.train.resolve import train_config
from tests.helpers import run_cli

# Two named inputs, a gate, a long skip and two outputs.
GRAPH = """model fork {
  input image: [3, 8, 8]
  input side: [6]
  stem = conv(6, 3x3, padding=1) -> relu
  gate = avgpool(global) -> conv(6, 1x1) -> sigmoid
  body = mul(stem, gate) -> conv(6, 3x3, padding=1)
  joined = add(body, stem) -> avgpool(global) -> flatten
  logits = add(joined, side) -> linear(4)
  aux = joined -> linear(2)
  output logits, aux
}
"""


def test_onnx_export_names_every_input_and_output(tmp_path: Path) -> None:
    torch.manual_seed(0)
    ir = archdsl.load(GRAPH).model()
    module = archdsl.build(ir).eval()
    path = tmp_path / "fork.onnx"
    export_onnx(module, ir, path)
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["image", "side"]
    assert [o.name for o in proto.graph.output] == ["logits", "aux"]
    from onnx.reference import ReferenceEvaluator

    run = ReferenceEvaluator(str(path))
    for batch in (1, 5):  # the batch axis is dynamic on every input and output
        image, side = torch.randn(batch, 3, 8, 8), torch.randn(batch, 6)
        with torch.no_grad():
            want = [t.numpy() for t in module(image, side)]
        got = run.run(None, {"image": image.numpy(), "side": side.numpy()})
        assert [g.shape for g in got] == [(batch, 4), (batch, 2)]
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-4)


def test_graph_draws_an_edge_for_each_value_read() -> None:
    diagram = build_diagram(archdsl.load(GRAPH).model(), None)
    titles = {n.id: n.lines[0] for n in diagram.nodes.values()}
    edges = {(titles[e.src], titles[e.dst], e.label) for e in diagram.edges}
    assert ("input image", "conv(6, 3x3, padding=1)", "3x8x8") in edges
    # `stem` (the relu) feeds the pool, the gate's mul and, seven steps on, the add
    relu_out = {(dst, label) for src, dst, label in edges if src == "relu"}
    assert relu_out == {("avgpool(global)", "6x8x8"), ("mul", "6x8x8"), ("add", "6x8x8")}
    assert ("input side", "add", "6") in edges
    assert ("linear(4)", "output logits", "4") in edges
    assert ("linear(2)", "output aux", "2") in edges


def test_eject_writes_a_graph_that_runs_without_archdsl(tmp_path: Path) -> None:
    (tmp_path / "fork.arch").write_text(GRAPH)
    result = run_cli("eject", "fork.arch", "-o", "fork.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    source = (tmp_path / "fork.py").read_text()
    lines = source.count("\n")
    assert result.stdout.strip() == f"wrote fork.py: fork as 2 classes in {lines} lines"
    assert "archdsl" not in source.split('"""', 2)[2]  # past the docstring: no import of it
    assert "        return logits, aux\n" in source
    namespace: dict[str, object] = {}
    exec(compile(source, "fork.py", "exec"), namespace)
    cls = namespace["Fork"]
    assert isinstance(cls, type)
    torch.manual_seed(0)
    built = archdsl.build(archdsl.load(GRAPH).model()).eval()
    ejected = cls().eval()
    ejected.load_state_dict(built.state_dict(), strict=True)
    image, side = torch.randn(2, 3, 8, 8), torch.randn(2, 6)
    with torch.no_grad():
        for got, want in zip(ejected(image, side), built(image, side), strict=True):
            torch.testing.assert_close(got, want)


def test_receptive_field_follows_every_path(tmp_path: Path) -> None:
    (tmp_path / "fork.arch").write_text(GRAPH)
    result = run_cli("check", "fork.arch", "--rf", "--depth", "-1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {
        line.split()[0]: line.split() for line in result.stdout.splitlines() if line[:1].isdigit()
    }
    # conv 3x3 (3), then the gate's global pool sees everything: the mul, and from there on
    assert rows["0"][-4:-2] == ["3", "1"]
    assert rows["5"][-4] == "all"  # mul(stem, gate)
    assert "note: `fork` has no receptive field at `side`: not an image" in result.stderr


def test_train_refuses_several_inputs() -> None:
    spec = GRAPH + "\ntrain fork {\n  data synthetic(classes=4)\n  epochs 1\n}\n"
    with pytest.raises(ArchError) as info:
        train_config(archdsl.load(spec).model())
    (diag,) = info.value.diagnostics
    assert diag.message == ("model `fork` takes 2 inputs (`image`, `side`); a dataset feeds one")
    assert diag.span is not None and (diag.span.line, diag.span.col) == (14, 8)  # `data`
