"""Ops that move axes around without learning: tokens, permute, reshape, channel shuffle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import BeforeValidator, Field
from archdsl.ops.shape_math import Shape, fmt_shape, numel

if TYPE_CHECKING:
    from torch import nn


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


# A list of per-sample axes or sides, as written: `[1, 2, 0]`.
Dims = Annotated[tuple[int, ...], BeforeValidator(_as_tuple), Field(min_length=1, max_length=4)]


class Tokens(Op):
    """tokens: a map [C, ...positions] to a sequence [positions, C], e.g. [C, H, W] to [H*W, C]"""

    name: ClassVar[str] = "tokens"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    op: Literal["tokens"] = "tokens"

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return (numel(shape[1:]), shape[0])

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Tokens as TokensModule

        return TokensModule()


class Permute(Op):
    """permute(dims): reorder the per-sample axes, e.g. permute([1, 2, 0]) for channels last"""

    name: ClassVar[str] = "permute"
    op: Literal["permute"] = "permute"
    dims: Dims

    def output_shape(self, shape: Shape) -> Shape:
        if sorted(self.dims) != list(range(len(shape))):
            raise ShapeError(
                f"needs each axis of {fmt_shape(shape)} once, from 0 to {len(shape) - 1}",
                arg="dims",
                help="axes count per sample: 0 is the first after the batch",
            )
        return tuple(shape[d] for d in self.dims)

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Permute as PermuteModule

        return PermuteModule(self.dims)


class Reshape(Op):
    """reshape(shape): the same values in a new per-sample shape; one side may be -1"""

    name: ClassVar[str] = "reshape"
    op: Literal["reshape"] = "reshape"
    shape: Dims

    def output_shape(self, shape: Shape) -> Shape:
        sides = self.shape
        free = [i for i, s in enumerate(sides) if s == -1]
        if len(free) > 1 or any(s < 1 and s != -1 for s in sides):
            raise ShapeError("needs sides of at least 1, and at most one -1", arg="shape")
        known = numel(tuple(s for s in sides if s != -1))
        total = numel(shape)
        if (free and total % known) or (not free and known != total):
            raise ShapeError(f"cannot hold the {total:,} values of {fmt_shape(shape)}", arg="shape")
        return tuple(total // known if s == -1 else s for s in sides)

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Reshape as ReshapeModule

        return ReshapeModule(self.shape)


class ChannelShuffle(Op):
    """channel_shuffle(groups): interleave the channels of `groups` groups (ShuffleNet)"""

    name: ClassVar[str] = "channel_shuffle"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    op: Literal["channel_shuffle"] = "channel_shuffle"
    groups: Annotated[int, Field(ge=1)]

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        if shape[0] % self.groups:
            raise ShapeError(
                f"has groups={self.groups}, which does not divide its {shape[0]} channels",
                arg="groups",
            )
        return shape

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import ChannelShuffle as ShuffleModule

        return ShuffleModule(self.groups)
