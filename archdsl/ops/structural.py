"""Ops that move or rescale values without learning: flatten, identity, scale, pad."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, numel
from archdsl.ops.types import Size

if TYPE_CHECKING:
    from torch import nn


class Flatten(Op):
    """flatten: [N, C, H, W] to [N, C*H*W]"""

    name: ClassVar[str] = "flatten"
    view: ClassVar[bool] = True
    op: Literal["flatten"] = "flatten"

    def output_shape(self, shape: Shape) -> Shape:
        return (numel(shape),)

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Flatten()


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
    stride: Size = (1, 1)

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
