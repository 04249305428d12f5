"""Merges of named values: `add(a, b)`, `mul(a, b)` (broadcasting) and `concat(a, b, dim=)`.

Inputs are batched values (per-sample shapes) or values shared by every sample
(a `param`, its whole stored shape). Both broadcast as torch does, right-aligned
against the batch axis and the per-sample shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

from archdsl.ops.base import Op, Operand, ShapeError
from archdsl.ops.shape_math import (
    BATCH,
    Shape,
    broadcast,
    broadcast_clash,
    fmt_full,
    full_shape,
)

if TYPE_CHECKING:
    from torch import nn


def _same_rank(name: str, ins: Sequence[Operand]) -> int | None:
    """The per-sample rank every batched input shares (None when none is batched)."""
    ranks = {len(i.shape) for i in ins if i.batched}
    if len(ranks) > 1:
        shown = ", ".join(fmt_full(full_shape(i.shape, i.batched)) for i in ins)
        raise ShapeError(
            f"needs inputs of one rank, got {shown}",
            help="flatten or reshape one of them so their ranks agree",
        )
    return ranks.pop() if ranks else None


class Elementwise(Op):
    """Shared rule of `add` and `mul`: numpy-style broadcasting."""

    arity: ClassVar[tuple[int, int | None]] = (2, None)
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        rank = _same_rank(self.name, ins)
        fulls = [full_shape(i.shape, i.batched) for i in ins]
        if rank is not None:
            for full in fulls:
                if len(full) > rank + 1:
                    raise ShapeError(
                        f"cannot broadcast {fmt_full(full)} against values of "
                        f"{rank + 1} axes (the batch and {rank} more)",
                        help="give the shared value no more axes than the batched ones",
                    )
        axis = broadcast_clash(fulls)
        if axis is not None:
            sizes = " and ".join(
                dict.fromkeys(
                    "the batch" if f[axis] == BATCH else str(f[axis])
                    for f in fulls
                    if len(f) >= -axis and f[axis] != 1
                )
            )
            shown = ", ".join(fmt_full(f) for f in fulls)
            raise ShapeError(
                f"cannot broadcast {shown}: axis {len(max(fulls, key=len)) + axis} is {sizes}",
                help="sizes along an axis must be equal, or 1 to stretch",
            )
        out = broadcast(fulls)
        return [out[1:] if rank is not None else out]

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.value_modules import Merge

        return Merge(self.name)


class Add(Elementwise):
    """add(a, b, ...): the elementwise sum of values, broadcasting"""

    name: ClassVar[str] = "add"
    op: Literal["add"] = "add"


class Mul(Elementwise):
    """mul(a, b, ...): the elementwise product of values, broadcasting (a gate)"""

    name: ClassVar[str] = "mul"
    op: Literal["mul"] = "mul"


class Concat(Op):
    """concat(a, b, ..., dim=0): join values along a per-sample axis (0: channels or tokens)"""

    name: ClassVar[str] = "concat"
    arity: ClassVar[tuple[int, int | None]] = (2, None)
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    op: Literal["concat"] = "concat"
    dim: int = 0

    def axis(self, rank: int) -> int:
        """The per-sample axis `dim` names, from 0; ShapeError when out of range."""
        if not -rank <= self.dim < rank:
            raise ShapeError(
                f"has no axis {self.dim} in values of rank {rank}",
                arg="dim",
                help=f"dim counts per-sample axes: 0 to {rank - 1}, or -{rank} to -1",
            )
        return self.dim % rank

    def sample_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        """Each input's per-sample shape; a shared one may have a leading batch axis of 1."""
        rank = _same_rank(self.name, ins)
        if rank is None:
            raise ShapeError("needs at least one value that is not shared (a `param`)")
        shapes: list[Shape] = []
        for i in ins:
            if i.batched or len(i.shape) == rank:
                shapes.append(i.shape)
            elif len(i.shape) == rank + 1 and i.shape[0] == 1:
                shapes.append(i.shape[1:])
            else:
                raise ShapeError(
                    f"cannot join the shared {fmt_full(i.shape)} with values of rank {rank}",
                    help=f"give it {rank} axes, or {rank + 1} with a first axis of 1",
                )
        return shapes

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        shapes = self.sample_shapes(ins)
        axis = self.axis(len(shapes[0]))
        rest = {s[:axis] + s[axis + 1 :] for s in shapes}
        if len(rest) > 1:
            shown = ", ".join(fmt_full(full_shape(s, True)) for s in shapes)
            raise ShapeError(
                f"needs every axis but {axis} to agree, got {shown}",
                help="only the joined axis may differ",
            )
        total = sum(s[axis] for s in shapes)
        first = shapes[0]
        return [(*first[:axis], total, *first[axis + 1 :])]

    def torch_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> nn.Module:
        from archdsl.backend.value_modules import Join

        shapes = self.sample_shapes(ins)
        shared = [None if i.batched else s for i, s in zip(ins, shapes, strict=True)]
        return Join(self.axis(len(shapes[0])) + 1, shared)
