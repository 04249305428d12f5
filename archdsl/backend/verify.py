"""Prove a built module equals its IR: every node's output shape, params and buffers.

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
from archdsl.backend.builder import module_for
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
            got = "no output (never ran)" if self.torch is None else fmt_shape(self.torch)
            message = f"torch gives {got} at {where}, the IR says {fmt_shape(self.ir)}"
        else:
            message = f"torch has {self.torch:,} {self.what} at {where}, the IR says {self.ir:,}"
        return Diagnostic(
            "verify",
            message,
            self.span,
            help="this is a bug in archdsl: please report it with the spec",
        )


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


def trace_shapes(
    module: nn.Module, model: Model, device: torch.device
) -> dict[str, tuple[int, ...]]:
    """Per-sample output shape of every IR node's module in one eval-mode forward pass."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for node in model.root.walk():
        sub = module.get_submodule(node.path) if node.path else module
        handles.append(sub.register_forward_hook(_recorder(shapes, node.path)))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(torch.zeros((TRACE_BATCH, *model.input), device=device))
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return shapes


def _verify_on(model: Model, device: torch.device) -> Verified:
    with device:
        module = module_for(model.root)
    shapes = trace_shapes(module, model, device)
    nodes: list[Node] = list(model.root.walk())
    mismatches: list[Mismatch] = []
    for node in nodes:
        sub = module.get_submodule(node.path) if node.path else module
        got = shapes.get(node.path)
        if got != tuple(node.out_shape):
            mismatches.append(Mismatch(node.path, node.span, "output shape", node.out_shape, got))
        params = _count(sub.parameters())
        if params != node.params:
            mismatches.append(Mismatch(node.path, node.span, "params", node.params, params))
        buffers = _count(sub.buffers())
        if buffers != node.buffers:
            mismatches.append(Mismatch(node.path, node.span, "buffers", node.buffers, buffers))
    return Verified(
        len(nodes), _count(module.parameters()), _count(module.buffers()), device.type, mismatches
    )


def _recorder(shapes: dict[str, tuple[int, ...]], path: str) -> Any:
    def hook(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        shapes[path] = tuple(output.shape[1:])

    return hook
