"""`export --onnx` of graphs of named values: each input and output under its value's
name, the batch dimension dynamic, the numbers as in torch (ONNX Runtime)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import archdsl
from archdsl.export.onnx import export_onnx, inputs_of, outputs_of
from tests.helpers import run_cli
from tests.test_dag import TWO_HEADS
from tests.test_eject_dag import UNET_LIKE, VIT_LIKE


def _dims(value: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


@pytest.mark.parametrize(
    ("spec", "exporter"),
    [
        (TWO_HEADS, "torchscript"),
        (TWO_HEADS, "dynamo"),  # its `forward(*inputs)` takes the batch dims as one argument
        (UNET_LIKE, "torchscript"),
        (VIT_LIKE, "torchscript"),
    ],
    ids=["two", "two-dynamo", "unet", "vit"],
)
def test_graphs_export_and_run_as_in_torch(spec: str, exporter: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    ir = archdsl.load(spec).model()
    module = archdsl.build(ir).eval()
    path = tmp_path / "m.onnx"
    export_onnx(module, ir, path, exporter=exporter)  # type: ignore[arg-type]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names, outputs = inputs_of(ir)[0], outputs_of(ir)[0]
    assert (
        [i.name for i in session.get_inputs()]
        == names
        == (["input"] if spec == VIT_LIKE else names)
    )
    assert [o.name for o in session.get_outputs()] == outputs
    for batch in (1, 3):
        xs = [torch.randn(batch, *ir.values[v].shape) for v in ir.inputs]
        with torch.no_grad():
            want = module(*xs)
        wants = list(want) if isinstance(want, tuple) else [want]
        got = session.run(None, {n: x.numpy() for n, x in zip(names, xs, strict=True)})
        assert len(got) == len(wants) == len(ir.outputs)
        for g, w in zip(got, wants, strict=True):
            np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=1e-4)


def test_several_inputs_and_outputs_keep_their_names(tmp_path: Path) -> None:
    spec = tmp_path / "two.arch"
    spec.write_text(TWO_HEADS)
    target = tmp_path / "two.onnx"
    result = run_cli("export", str(spec), "--onnx", str(target))
    assert result.returncode == 0, result.stderr
    assert (
        "two_heads image [batch, 3, 16, 16], extra [batch, 24, 8, 8] -> "
        "logits [batch, 10], aux [batch, 3]"
    ) in result.stdout
    graph = onnx.load(str(target)).graph
    assert [(v.name, _dims(v)) for v in graph.input] == [
        ("image", ["batch", 3, 16, 16]),
        ("extra", ["batch", 24, 8, 8]),
    ]
    assert [(v.name, _dims(v)) for v in graph.output] == [
        ("logits", ["batch", 10]),
        ("aux", ["batch", 3]),
    ]
