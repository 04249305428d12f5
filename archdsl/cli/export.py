"""`archdsl export`: the built module as an ONNX file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out, require_folder_of
from archdsl.cli.spec_input import load_model
from archdsl.export.onnx import DEFAULT_OPSET, Dims


def export(
    spec: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The .arch file to export.", show_default=False)
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write the model to this ONNX file.  [required]",
            show_default=False,
        ),
    ] = None,
    onnx: Annotated[Path | None, typer.Option("--onnx", hidden=True)] = None,
    opset: Annotated[
        int, typer.Option("--opset", metavar="N", help="The ONNX opset to target.")
    ] = (DEFAULT_OPSET),
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Export this model of the file.")
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights",
            metavar="FILE",
            help="Trained weights (a .safetensors file from a run) instead of fresh ones.",
            show_default=False,
        ),
    ] = None,
    dynamo: Annotated[
        bool,
        typer.Option(
            "--dynamo",
            help="Use torch's torch.export-based exporter (opsets 18-23) "
            "instead of the TorchScript one (opsets 9-20).",
        ),
    ] = False,
) -> None:
    """Export a spec's model (eval mode, batch dimension dynamic) to ONNX."""
    from archdsl.export.onnx import Exporter, ExportError, check_opset, require

    exporter: Exporter = "dynamo" if dynamo else "torchscript"
    try:
        require(exporter)
        check_opset(opset, exporter)
    except ExportError as exc:
        fail(str(exc), 2)
    target = output if output is not None else onnx
    if target is None:
        fail("name the ONNX file to write with -o/--output", 2)
        return
    ir = load_model(spec, model)
    require_folder_of(target)

    from archdsl.backend import build
    from archdsl.backend.allocation import TooLarge
    from archdsl.export.onnx import export_onnx

    try:
        module = build(ir)
    except TooLarge as exc:
        fail(str(exc), 1)
    metadata: dict[str, str] = {}
    if weights is not None:
        from archdsl.train.checkpoint import load_into, read_weights
        from archdsl.train.errors import TrainError

        try:
            tensors, metadata = read_weights(weights)
            load_into(module, tensors, weights)
        except TrainError as exc:
            fail(str(exc), 1)
        metadata.pop("step", None)
    try:
        done = export_onnx(module, ir, target, opset, exporter, metadata)
    except ExportError as exc:
        fail(str(exc), 1)
        return
    signature = f"{_values(done.inputs)} -> {_values(done.outputs)}"
    out.print(
        f"wrote {done.path} ({done.bytes / 1e6:,.1f} MB, ONNX opset {done.opset}): "
        f"{ir.name} {signature}",
        markup=False,
    )


def _values(values: list[tuple[str, Dims]]) -> str:
    """`[batch, 10]` for one value; `logits [batch, 10], aux [batch, 3]` for several."""
    shown = [f"[{', '.join(str(d) for d in dims)}]" for _, dims in values]
    if len(values) == 1:
        return shown[0]
    return ", ".join(f"{name} {dims}" for (name, _), dims in zip(values, shown, strict=True))
