"""The value flowing from step to step, and the values a step makes."""

from __future__ import annotations

from archdsl.ir import Value as Tensor
from archdsl.ops.shape_math import Shape

# The values a step makes; None where an error left them unknown.
Outs = tuple[Tensor, ...] | None


def outs_of(flow: Tensor | None) -> Outs:
    return None if flow is None else (flow,)


def shape_of(flow: Tensor | None) -> Shape | None:
    return None if flow is None else flow.shape


def join(prefix: str, name: str) -> str:
    """A module path one level below `prefix`."""
    return f"{prefix}.{name}" if prefix else name
