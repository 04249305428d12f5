"""Export a built module to ONNX, its batch dimension left dynamic.

Two of torch's exporters can write the file. The TorchScript one traces the
module and is the default: on every network of the zoo it gives the same
numbers as the other, several times faster (2.5 times on AlexNet, 30 on a
small CIFAR net), and needs only the `onnx` package. The torch.export-based
one (`dynamo=True`, which needs `onnxscript` as well) is torch's future and
is there for the day the TorchScript one goes.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from torch import nn

    from archdsl.ir import Model

Exporter = Literal["torchscript", "dynamo"]

# Opset 18 is what both exporters speak (the dynamo one starts there, the
# TorchScript one stops at 20) and what runtimes of the last few years run.
DEFAULT_OPSET = 18
OPSETS: dict[Exporter, tuple[int, int]] = {"torchscript": (9, 20), "dynamo": (18, 23)}
INPUT_NAME = "input"
OUTPUT_NAME = "output"
BATCH = "batch"


class ExportError(Exception):
    """Export cannot go ahead; the message says why and what to do."""


Dims = tuple[int | str, ...]


@dataclass(frozen=True)
class Exported:
    path: Path
    opset: int
    bytes: int
    inputs: list[tuple[str, Dims]]  # each input's ONNX name and dimensions
    outputs: list[tuple[str, Dims]]


def require(exporter: Exporter) -> None:
    """Raise ExportError naming the packages to install when one is missing."""
    needed = ["torch", "onnx"] + (["onnxscript"] if exporter == "dynamo" else [])
    missing = [name for name in needed if not _importable(name)]
    if missing:
        raise ExportError(
            f"ONNX export needs the {' and '.join(missing)} package"
            f"{'s' if len(missing) > 1 else ''}: pip install 'archdsl[export]'"
        )


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def check_opset(opset: int, exporter: Exporter) -> None:
    low, high = OPSETS[exporter]
    if not low <= opset <= high:
        raise ExportError(f"the {exporter} exporter writes opsets {low} to {high}, not {opset}")


def export_onnx(
    module: nn.Module,
    model: Model,
    path: Path,
    opset: int = DEFAULT_OPSET,
    exporter: Exporter = "torchscript",
    metadata: dict[str, str] | None = None,
) -> Exported:
    """Write `module` (built from `model`) in eval mode to `path` and check the file.

    `metadata` (how to normalise inputs, class names, ...) goes into the file's
    metadata properties.
    """
    import torch

    require(exporter)
    check_opset(opset, exporter)
    # torch.export takes a batch of 1 for a constant; tracing does not, and is
    # quicker with one sample.
    batch = 2 if exporter == "dynamo" else 1
    input_names, in_shapes = inputs_of(model)
    output_names, out_shapes, batched = outputs_of(model)
    examples = tuple(torch.zeros((batch, *shape)) for shape in in_shapes)
    was_training = module.training
    module.eval()
    # Each exporter marks the batch dimension dynamic in its own way.
    dynamic: dict[str, Any]
    if exporter == "dynamo":
        dynamic = {"dynamic_shapes": _batch_dims(module, len(examples)), "external_data": False}
    else:
        axes = {name: {0: BATCH} for name in input_names}
        axes |= {name: {0: BATCH} for name, b in zip(output_names, batched, strict=True) if b}
        dynamic = {"dynamic_axes": axes}
    try:
        with _quiet():
            torch.onnx.export(
                module,
                examples,
                str(path),
                dynamo=exporter == "dynamo",
                opset_version=opset,
                input_names=input_names,
                output_names=output_names,
                verbose=False,
                **dynamic,
            )
    except Exception as exc:  # torch's exporters raise many kinds; the user needs the gist
        raise ExportError(
            f"torch could not export `{model.name}` at opset {opset}: {_gist(exc)}"
            " (a newer --opset may help)"
        ) from exc
    finally:
        module.train(was_training)
    import onnx

    if metadata:
        proto = onnx.load(str(path))
        onnx.helper.set_model_props(proto, metadata)
        onnx.save(proto, str(path))
    # The path, not a loaded proto: the checker then reads even a large file in C++.
    onnx.checker.check_model(str(path))
    return Exported(
        path,
        opset,
        path.stat().st_size,
        [(n, (BATCH, *shape)) for n, shape in zip(input_names, in_shapes, strict=True)],
        [
            (n, (BATCH, *shape) if b else shape)
            for n, shape, b in zip(output_names, out_shapes, batched, strict=True)
        ],
    )


def _batch_dims(module: nn.Module, inputs: int) -> tuple[Any, ...]:
    """torch.export's dynamic shapes: the batch axis of every input, shaped as `forward`
    takes its inputs (a `Graph` gathers them in `*inputs`, one argument of several)."""
    import torch

    dims = tuple({0: torch.export.Dim(BATCH)} for _ in range(inputs))
    kinds = [p.kind for p in inspect.signature(module.forward).parameters.values()]
    return (dims,) if inspect.Parameter.VAR_POSITIONAL in kinds else dims


def inputs_of(model: Model) -> tuple[list[str], list[tuple[int, ...]]]:
    """The ONNX input names, each input value's own (`input` where it has none), and
    their per-sample shapes."""
    if not model.inputs:  # IR written before values: one input
        return [INPUT_NAME], [model.input]
    values = [model.values[v] for v in model.inputs]
    return [v.name or INPUT_NAME for v in values], [v.shape for v in values]


def outputs_of(model: Model) -> tuple[list[str], list[tuple[int, ...]], list[bool]]:
    """The ONNX output names (`output`, or each output value's name where there are
    several), their shapes, and whether each has a batch axis (a `param` has none).

    ONNX names each tensor once: an output without a name of its own, or whose name
    an input or an earlier output has (`output a, b` after `b = a`), is `output_<i>`."""
    if len(model.outputs) <= 1:
        return [OUTPUT_NAME], [model.output], [True]
    values = [model.values[v] for v in model.outputs]
    taken = set(inputs_of(model)[0])
    names: list[str] = []
    for i, value in enumerate(values):
        name = value.name if value.name and value.name not in taken else f"{OUTPUT_NAME}_{i}"
        taken.add(name)
        names.append(name)
    return names, [v.shape for v in values], [v.batched for v in values]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' progress lines, notices and dumps; errors still raise.

    The TorchScript exporter prints its whole graph from C++ when it fails, so
    stdout and stderr are sent away at their descriptors, not just in Python.
    """
    import logging  # here, not at the top: `archdsl check` never pays for it
    import os
    import sys
    import tempfile

    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
            for fd in saved:
                os.dup2(sink.fileno(), fd)
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        logger.setLevel(level)


def _gist(exc: Exception) -> str:
    """The first line of an exporter's error, without the graph it quotes."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    first = first.split("  [Caused by")[0].strip()
    return first if len(first) <= 200 else first[:197] + "..."
