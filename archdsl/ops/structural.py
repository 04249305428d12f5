"""Ops that move or rescale values without learning: flatten, identity, scale, pad."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, fmt_shape, numel
from archdsl.ops.types import Pair

if TYPE_CHECKING:
    from torch import nn


class Flatten(Op):
    """flatten(start=0, end=-1): merge per-sample axes start..end into one

    The defaults flatten the whole sample: [N, C, H, W] to [N, C*H*W]. Axes
    count per sample (0 is the channels of an image); negative ones from the end.
    """

    name: ClassVar[str] = "flatten"
    view: ClassVar[bool] = True
    op: Literal["flatten"] = "flatten"
    start: int = 0
    end: int = -1

    def span(self, shape: Shape) -> tuple[int, int]:
        """The first and last axis merged, each in 0..rank-1."""
        rank = len(shape)
        first, last = (a + rank if a < 0 else a for a in (self.start, self.end))
        for field, axis in (("start", first), ("end", last)):
            if not 0 <= axis < rank:
                raise ShapeError(
                    f"has {field}={getattr(self, field)}, outside the {rank} axes of "
                    f"{fmt_shape(shape)}",
                    arg=field,
                    help=f"axes count per sample, from 0 to {rank - 1} (or -{rank} to -1)",
                )
        if first > last:
            raise ShapeError(f"has start axis {first} after end axis {last}", arg="end")
        return first, last

    def output_shape(self, shape: Shape) -> Shape:
        first, last = self.span(shape)
        return (*shape[:first], numel(shape[first : last + 1]), *shape[last + 1 :])

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        start, end = self.torch_dims(shape)
        return nn.Flatten(start, end)

    def torch_dims(self, shape: Shape) -> tuple[int, int]:
        """nn.Flatten's start_dim and end_dim, counting the batch, -1 for the last."""
        first, last = self.span(shape)
        return first + 1, -1 if last == len(shape) - 1 else last + 1


class Identity(Op):
    """identity: passes its input through"""

    name: ClassVar[str] = "identity"
    view: ClassVar[bool] = True
    op: Literal["identity"] = "identity"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Identity()


class Scale(Op):
    """scale(factor): multiply by a constant, as Inception-ResNet does its residuals"""

    name: ClassVar[str] = "scale"
    op: Literal["scale"] = "scale"
    factor: float

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.modules import Scale as ScaleModule

        return ScaleModule(self.factor)


class PadChannels(Op):
    """pad_channels(channels, stride=1): subsample by `stride`, then zero-pad channels

    The parameter-free shortcut of CIFAR ResNets (He et al. 2015, option A).
    """

    name: ClassVar[str] = "pad_channels"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["pad_channels"] = "pad_channels"
    channels: Annotated[int, Field(ge=1)]
    stride: Pair = (1, 1)

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        c, h, w = shape
        if self.channels < c:
            raise ShapeError(
                f"cannot pad {c} channels down to {self.channels}",
                arg="channels",
                help="pad_channels only adds channels",
            )
        sh, sw = self.stride
        return (self.channels, -(-h // sh), -(-w // sw))

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.modules import PadChannels as PadModule

        extra = self.channels - shape[0]
        return PadModule(extra // 2, extra - extra // 2, self.stride)
