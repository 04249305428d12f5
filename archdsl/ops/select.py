"""Picking one position along an axis, or averaging over it: a class token, mean pooling."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, fmt_shape

if TYPE_CHECKING:
    from torch import nn


def _axis(op: Op, field: str, value: int, size: int, what: str, shape: Shape) -> int:
    """`value` as an index in 0..size-1 (negative counts from the end), or a ShapeError."""
    if not -size <= value < size:
        raise ShapeError(
            f"has {field}={value}, outside the {size} {what} of {fmt_shape(shape)}",
            arg=field,
            help=f"give 0 to {size - 1}, or -{size} to -1 from the end",
        )
    return value % size


class Select(Op):
    """select(index=0): one token of a sequence [T, D], as [D]; e.g. ViT's class token"""

    name: ClassVar[str] = "select"
    ranks: ClassVar[tuple[int, ...]] = (2,)
    takes: ClassVar[str] = "tokens [N, T, D]"
    op: Literal["select"] = "select"
    index: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        _axis(self, "index", self.index, shape[0], "tokens", shape)
        return shape[1:]

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Select as SelectModule

        return SelectModule(self.index)


class Mean(Op):
    """mean(dim=0): average over one per-sample axis, e.g. over the tokens of [T, D]"""

    name: ClassVar[str] = "mean"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    op: Literal["mean"] = "mean"
    dim: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        axis = _axis(self, "dim", self.dim, len(shape), "axes", shape)
        return shape[:axis] + shape[axis + 1 :]

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Mean as MeanModule

        return MeanModule(self.dim)
