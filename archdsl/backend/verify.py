"""Prove a built module equals its IR: every value's shape, every node's params and buffers.

The module is built and run on torch's meta device, which computes shapes
without allocating or computing anything, so even a 10^9-parameter model
verifies in a moment; where an op has no meta kernel it falls back to the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from archdsl.backend.allocation import check_addressable, check_fits
from archdsl.backend.builder import build_model
from archdsl.diagnostics import Diagnostic, Span
from archdsl.ir import Model, Node
from archdsl.ops.shape_math import fmt_shape

# The batch of the one forward pass that traces every shape.
TRACE_BATCH = 2


@dataclass(frozen=True)
class Mismatch:
    path: str
    span: Span
    what: str  # "output shape", "params" or "buffers"
    ir: Any
    torch: Any

    def diagnostic(self) -> Diagnostic:
        where = f"`{self.path}`" if self.path else "the model"
        if self.what == "output shape":
            got = "no output (never ran)" if self.torch is None else _shapes(self.torch)
            message = f"torch gives {got} at {where}, the IR says {_shapes(self.ir)}"
        else:
            message = f"torch has {self.torch:,} {self.what} at {where}, the IR says {self.ir:,}"
        return Diagnostic(
            "verify",
            message,
            self.span,
            help="this is a bug in archdsl: please report it with the spec",
        )


def _shapes(shapes: Any) -> str:
    """One per-sample shape, or several (a shared value's shape is whole)."""
    if isinstance(shapes, tuple):
        return fmt_shape(shapes)
    return ", ".join(fmt_shape(s) for s in shapes)


@dataclass(frozen=True)
class Verified:
    nodes: int
    params: int
    buffers: int
    device: str
    mismatches: list[Mismatch]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": not self.mismatches,
            "device": self.device,
            "nodes": self.nodes,
            "params": self.params,
            "buffers": self.buffers,
        }


def _count(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


def verify(model: Model, device: str | None = None) -> Verified:
    """Build `model` and run one forward pass, comparing every node with the IR.

    Without `device`, the meta device, or the CPU for ops without meta kernels.
    Raises `TooLarge` for a model that could not be built here.
    """
    check_addressable(model, TRACE_BATCH)
    if device is not None:
        return _verify_on(model, torch.device(device))
    try:
        return _verify_on(model, torch.device("meta"))
    except (NotImplementedError, RuntimeError):
        check_fits(model, TRACE_BATCH)
        return _verify_on(model, torch.device("cpu"))


def example_inputs(model: Model, device: torch.device, batch: int = 2) -> list[torch.Tensor]:
    """Zeros for each of the model's inputs, in order, with a batch of `batch`."""
    shapes = [model.values[v].shape for v in model.inputs] if model.inputs else [model.input]
    return [torch.zeros((batch, *shape), device=device) for shape in shapes]


def trace_shapes(
    module: nn.Module, model: Model, device: torch.device
) -> dict[str, tuple[int, ...]]:
    """Per-sample shape of every IR node's module's (first) output in one eval-mode pass."""
    return {path: shapes[0][1:] for path, shapes in trace_outputs(module, model, device).items()}


def trace_outputs(
    module: nn.Module, model: Model, device: torch.device
) -> dict[str, list[tuple[int, ...]]]:
    """The whole shape of each output of every IR node's module in one eval-mode pass."""
    shapes: dict[str, list[tuple[int, ...]]] = {}
    handles = []
    for node in model.root.walk():
        sub = module.get_submodule(node.path) if node.path else module
        handles.append(sub.register_forward_hook(_recorder(shapes, node.path)))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(*example_inputs(model, device, TRACE_BATCH))
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return shapes


def expected(node: Node, model: Model) -> tuple[list[bool], list[Any]]:
    """Whether each output of `node` is batched, and the shapes the IR gives them: per
    sample, or whole for a shared value. One output's shape stands alone, several are a
    list; the first as its value says, and as the node's `out_shape` says."""
    if not node.outputs:  # IR written before values: one batched output
        return [True], [tuple(node.out_shape)]
    values = [model.values[vid] for vid in node.outputs]
    batched = [v.batched for v in values]
    shapes = [tuple(v.shape) for v in values]
    return batched, [_one(shapes), _one([tuple(node.out_shape), *shapes[1:]])]


def _one(shapes: list[tuple[int, ...]]) -> Any:
    return shapes[0] if len(shapes) == 1 else shapes


def _verify_on(model: Model, device: torch.device) -> Verified:
    with device:
        module = build_model(model)
    shapes = trace_outputs(module, model, device)
    nodes: list[Node] = list(model.root.walk())
    mismatches: list[Mismatch] = []
    for node in nodes:
        sub = module.get_submodule(node.path) if node.path else module
        batched, wants = expected(node, model)
        whole = shapes.get(node.path)
        got = None
        if whole is not None and len(whole) == len(batched):
            got = _one([s[1:] if b else s for s, b in zip(whole, batched, strict=True)])
        wrong = [want for want in wants if want != got]
        if wrong:
            mismatches.append(Mismatch(node.path, node.span, "output shape", wrong[0], got))
        params = _count(sub.parameters())
        if params != node.params:
            mismatches.append(Mismatch(node.path, node.span, "params", node.params, params))
        buffers = _count(sub.buffers())
        if buffers != node.buffers:
            mismatches.append(Mismatch(node.path, node.span, "buffers", node.buffers, buffers))
    return Verified(
        len(nodes), _count(module.parameters()), _count(module.buffers()), device.type, mismatches
    )


def _recorder(shapes: dict[str, list[tuple[int, ...]]], path: str) -> Any:
    def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
        outputs = output if isinstance(output, tuple) else (output,)
        shapes[path] = [tuple(o.shape) for o in outputs]

    return hook
