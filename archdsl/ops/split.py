"""Ops that cut one value into several along a per-sample axis: `chunk` and `split`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, Operand, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape

if TYPE_CHECKING:
    from torch import nn


def axis_of(dim: int, shape: Shape) -> int:
    rank = len(shape)
    if not -rank <= dim < rank:
        raise ShapeError(
            f"has no axis {dim} in an input of rank {rank}",
            arg="dim",
            help=f"dim counts per-sample axes: 0 to {rank - 1}, or -{rank} to -1",
        )
    return dim % rank


def _with(shape: Shape, axis: int, size: int) -> Shape:
    return (*shape[:axis], size, *shape[axis + 1 :])


class Chunk(Op):
    """chunk(chunks, dim=0): cut into `chunks` equal values along a per-sample axis"""

    name: ClassVar[str] = "chunk"
    view: ClassVar[bool] = True
    outputs: ClassVar[int | None] = None
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    op: Literal["chunk"] = "chunk"
    chunks: Annotated[int, Field(ge=1)]
    dim: int = 0

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        shape = ins[0].shape
        axis = axis_of(self.dim, shape)
        if shape[axis] % self.chunks:
            raise ShapeError(
                f"needs axis {axis} of size {shape[axis]} to divide by {self.chunks}",
                arg="chunks",
                help="use `split` with explicit sizes for uneven parts",
            )
        return [_with(shape, axis, shape[axis] // self.chunks)] * self.chunks

    def torch_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> nn.Module:
        from archdsl.backend.value_modules import Cut

        axis = axis_of(self.dim, ins[0].shape)
        return Cut([o[axis] for o in outs], axis + 1)


class Split(Op):
    """split(sizes, dim=0): cut into values of the given sizes along a per-sample axis"""

    name: ClassVar[str] = "split"
    view: ClassVar[bool] = True
    outputs: ClassVar[int | None] = None
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    op: Literal["split"] = "split"
    sizes: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)]
    dim: int = 0

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        shape = ins[0].shape
        axis = axis_of(self.dim, shape)
        if sum(self.sizes) != shape[axis]:
            raise ShapeError(
                f"sizes add up to {sum(self.sizes)}, but axis {axis} has {shape[axis]}",
                arg="sizes",
                help="the sizes must add up to the axis's size",
            )
        return [_with(shape, axis, size) for size in self.sizes]

    def torch_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> nn.Module:
        from archdsl.backend.value_modules import Cut

        return Cut(list(self.sizes), axis_of(self.dim, ins[0].shape) + 1)
