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


def onnx_names(model: Model) -> tuple[list[str], list[str]]:
    """The ONNX names of a model's inputs and outputs: its values' names. A model with
    one unnamed input and one output keeps `input` and `output`."""
    inputs = [model.values[v].name or INPUT_NAME for v in model.inputs] or [INPUT_NAME]
    if len(model.outputs) < 2:
        return inputs, [OUTPUT_NAME]
    return inputs, [
        model.values[v].name or f"{OUTPUT_NAME}{i}" for i, v in enumerate(model.outputs)
    ]


def _shapes(model: Model, ids: list[str], first: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [model.values[v].shape for v in ids] or [first]


def require(exporter: Exporter) -> None:
    """Raise ExportError naming the packages to install when one is missing."""
    needed = ["onnx"] + (["onnxscript"] if exporter == "dynamo" else [])
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
) -> Exported:
    """Write `module` (built from `model`) in eval mode to `path` and check the file."""
    import torch

    require(exporter)
    check_opset(opset, exporter)
    # torch.export takes a batch of 1 for a constant; tracing does not, and is
    # quicker with one sample.
    batch = 2 if exporter == "dynamo" else 1
    in_shapes = _shapes(model, model.inputs, model.input)
    out_shapes = _shapes(model, model.outputs, model.output)
    examples = tuple(torch.zeros((batch, *shape)) for shape in in_shapes)
    input_names, output_names = onnx_names(model)
    was_training = module.training
    module.eval()
    # Each exporter marks the batch dimension dynamic in its own way.
    dynamic: dict[str, Any] = (
        {"dynamic_shapes": _batch_dims(module, len(examples)), "external_data": False}
        if exporter == "dynamo"
        else {"dynamic_axes": {name: {0: BATCH} for name in input_names + output_names}}
    )
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

    # The path, not a loaded proto: the checker then reads even a large file in C++.
    onnx.checker.check_model(str(path))
    return Exported(
        path,
        opset,
        path.stat().st_size,
        [(n, (BATCH, *shape)) for n, shape in zip(input_names, in_shapes, strict=True)],
        [(n, (BATCH, *shape)) for n, shape in zip(output_names, out_shapes, strict=True)],
    )


def _batch_dims(module: nn.Module, inputs: int) -> tuple[Any, ...]:
    """torch.export's dynamic shapes: the batch axis of every input, shaped as `forward`
    takes its inputs (a `Graph` gathers them in `*inputs`, one argument of several)."""
    import torch

    dims = tuple({0: torch.export.Dim(BATCH)} for _ in range(inputs))
    kinds = [p.kind for p in inspect.signature(module.forward).parameters.values()]
    return (dims,) if inspect.Parameter.VAR_POSITIONAL in kinds else dims


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
