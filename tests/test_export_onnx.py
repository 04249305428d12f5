"""`archdsl export --onnx`: every zoo network, checked and run outside torch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch

import archdsl
from archdsl.export.onnx import export_onnx
from archdsl.ir import OpNode
from archdsl.ops.embedding import Embedding
from tests.helpers import SPECS, ZOO, run_cli, run_python


def _runner(path: Path) -> Any:
    """A function from an input array to the model's outputs, run by ONNX Runtime."""
    name = onnx.load(str(path)).graph.input[0].name  # `input`, or the named input value's
    try:
        import onnxruntime
    except ImportError:  # ONNX's own evaluator where no runtime wheel exists
        from onnx.reference import ReferenceEvaluator

        evaluator = ReferenceEvaluator(str(path))
        return lambda x: evaluator.run(None, {name: x})
    options = onnxruntime.SessionOptions()
    # The file as written, not ONNX Runtime's rewrite of it (and a quicker start).
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {name: x})


def _example(ir: archdsl.Model, batch: int) -> torch.Tensor:
    """A random input: token ids below the vocabulary for a model that embeds them."""
    first = next(n for n in ir.root.walk() if isinstance(n, OpNode))
    if isinstance(first.op, Embedding):
        return torch.randint(0, first.op.num, (batch, *ir.input)).float()
    return torch.randn(batch, *ir.input)


def _export_and_compare(
    spec: Path, tmp_path: Path, batches: tuple[int, ...], exporter: str = "torchscript"
) -> onnx.ModelProto:
    torch.manual_seed(0)
    ir = archdsl.load(spec).model()
    module = archdsl.build(ir).eval()
    path = tmp_path / f"{ir.name}.onnx"
    export_onnx(module, ir, path, exporter=exporter)  # type: ignore[arg-type]
    onnx.checker.check_model(str(path))
    run = _runner(path)
    for batch in batches:
        x = _example(ir, batch)
        with torch.no_grad():
            out = module(x)
        want = [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
        got = run(x.numpy())
        assert [g.shape for g in got] == [(batch, *ir.values[v].shape) for v in ir.outputs]
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-4)
    return onnx.load(str(path))


@pytest.mark.parametrize("name", ZOO)
def test_zoo_exports_and_runs_as_in_torch(name: str, tmp_path: Path) -> None:
    _export_and_compare(SPECS / name, tmp_path, batches=(1,))


def test_batch_dimension_is_dynamic(tmp_path: Path) -> None:
    proto = _export_and_compare(SPECS / "resnet20_cifar.arch", tmp_path, batches=(1, 3, 8))
    dims = [
        [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        for value in (proto.graph.input[0], proto.graph.output[0])
    ]
    assert dims == [["batch", 3, 32, 32], ["batch", 10]]
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [18]
    # The option-A shortcut subsamples with strided slices and pads channels.
    ops = {node.op_type for node in proto.graph.node}
    assert {"Conv", "Slice", "Pad", "Add", "Relu", "Gemm"} <= ops


@pytest.mark.parametrize("name", ["airbench94.arch", "resnet20_cifar.arch"])
def test_dynamo_exporter(name: str, tmp_path: Path) -> None:
    _export_and_compare(SPECS / name, tmp_path, batches=(2, 5), exporter="dynamo")


GATES = """
model gates {
  input [6, 5, 7]
  conv(12, 3x3, padding=1) -> hardswish
  mul { | identity | avgpool(global) -> conv(3, 1x1) -> relu -> conv(12, 1x1) -> hardsigmoid }
  mul { | identity | avgpool(global) -> flatten -> linear(7) -> sigmoid | conv(1, 1x1) }
  residual { conv(12, 1x1) -> stochastic_depth(0.3, mode=batch) }
  avgpool(global) -> flatten -> linear(4)
}
"""


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_gates_with_broadcasting_export(exporter: str, tmp_path: Path) -> None:
    spec = tmp_path / "gates.arch"
    spec.write_text(GATES, encoding="utf-8")
    proto = _export_and_compare(spec, tmp_path, batches=(1, 3), exporter=exporter)
    ops = {node.op_type for node in proto.graph.node}
    # The [7] gate gains its axes after the batch axis; stochastic depth is gone in eval.
    assert {"Mul", "HardSigmoid", "Unsqueeze"} <= ops
    assert "Bernoulli" not in ops and "RandomUniform" not in ops


def test_cli_writes_a_checked_file(tmp_path: Path) -> None:
    target = tmp_path / "mlp.onnx"
    result = run_cli("export", "specs/mlp.arch", "-o", str(target), "--opset", "17")
    assert result.returncode == 0, result.stderr
    assert "ONNX opset 17" in result.stdout
    assert "mlp [batch, 3, 32, 32] -> [batch, 10]" in result.stdout
    proto = onnx.load(str(target))
    onnx.checker.check_model(proto)
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [17]
    weights = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    assert weights == 1_707_274  # every parameter of the spec travels in the file


def test_cli_keeps_the_old_onnx_flag_and_needs_an_output(tmp_path: Path) -> None:
    target = tmp_path / "old.onnx"
    result = run_cli("export", "specs/mlp.arch", "--onnx", str(target))
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 1_000_000  # 1.7M float32 weights
    missing = run_cli("export", "specs/mlp.arch")
    assert missing.returncode == 2
    assert "name the ONNX file to write with -o/--output" in missing.stderr


def test_cli_refuses_an_opset_the_exporter_cannot_write(tmp_path: Path) -> None:
    result = run_cli("export", "specs/mlp.arch", "-o", str(tmp_path / "m.onnx"), "--opset", "21")
    assert result.returncode == 2
    assert "the torchscript exporter writes opsets 9 to 20, not 21" in result.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_cli_reports_spec_errors_without_a_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.arch"
    spec.write_text("model bad {\n  input [3, 8, 8]\n  conv(10, 9x9)\n}\n")
    result = run_cli("export", str(spec), "-o", str(tmp_path / "bad.onnx"))
    assert result.returncode == 1
    assert "bad.arch:3:3: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_onnx_package_is_a_clear_error(tmp_path: Path) -> None:
    argv = ["archdsl", "export", "specs/mlp.arch", "-o", str(tmp_path / "m.onnx")]
    code = (
        "import sys\n"
        "sys.modules['onnx'] = None  # as if it were not installed\n"
        f"sys.argv = {argv!r}\n"
        "from archdsl.cli import main\n"
        "main()\n"
    )
    result = run_python(code)
    assert result.returncode == 2
    assert "ONNX export needs the onnx package: pip install 'archdsl[export]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_opset_too_old_for_an_op_is_one_line(tmp_path: Path) -> None:
    # Opset 9 has no strided Slice, which the option-A shortcut needs.
    args = ["specs/resnet20_cifar.arch", "-o", str(tmp_path / "r.onnx"), "--opset", "9"]
    result = run_cli("export", *args)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: torch could not export `resnet20_cifar` at opset 9: "
        "step!=1 is currently not supported (a newer --opset may help)"
    )
    assert result.stdout == ""  # not the graph the exporter prints as it fails


def test_cli_exports_trained_weights(tmp_path: Path) -> None:
    """Weights saved as a run saves them reach the file: its outputs are theirs."""
    from archdsl.train.checkpoint import weights_bytes

    ir = archdsl.load(SPECS / "mlp.arch").model()
    torch.manual_seed(7)
    trained = archdsl.build(ir).eval()
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.05 * torch.randn_like(p))  # unlike anything a fresh build starts from
    weights = tmp_path / "best.safetensors"
    weights.write_bytes(weights_bytes(trained, step=3))
    target = tmp_path / "mlp.onnx"
    args = ["specs/mlp.arch", "--weights", str(weights), "-o", str(target)]
    result = run_cli("export", *args)
    assert result.returncode == 0, result.stderr
    x = torch.randn(4, *ir.input)
    with torch.no_grad():
        want = trained(x).numpy()
    np.testing.assert_allclose(_runner(target)(x.numpy())[0], want, rtol=0, atol=1e-4)


def test_cli_refuses_weights_that_do_not_fit(tmp_path: Path) -> None:
    from archdsl.train.checkpoint import weights_bytes

    weights = tmp_path / "other.safetensors"
    weights.write_bytes(weights_bytes(archdsl.build(SPECS / "softmax_regression.arch"), step=0))
    target = tmp_path / "mlp.onnx"
    result = run_cli("export", "specs/mlp.arch", "--weights", str(weights), "-o", str(target))
    assert result.returncode == 1
    assert f"error: the weights in {weights} do not fit this model: missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()

    missing = tmp_path / "none.safetensors"
    result = run_cli("export", "specs/mlp.arch", "--weights", str(missing), "-o", str(target))
    assert result.returncode == 1
    assert f"error: weights file not found: {missing}" in result.stderr
    assert not target.exists()
