"""Normalisation layers: batch, layer, group and local response norm."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, fmt_shape, numel

if TYPE_CHECKING:
    from torch import nn

Eps = Annotated[float, Field(gt=0.0)]


def batchnorm_class(shape: Shape) -> str:
    """BatchNorm1d for [F] and [C, L], 2d for [C, H, W], 3d for [C, D, H, W]."""
    return f"BatchNorm{max(1, len(shape) - 1)}d"


class BatchNorm(Op):
    """batchnorm(eps=1e-5, momentum=0.1, affine=true, track_running_stats=true)

    Per channel: the features of [F], the channels of [C, L], [C, H, W] or [C, D, H, W].
    """

    name: ClassVar[str] = "batchnorm"
    aliases: ClassVar[tuple[str, ...]] = ("bn",)
    op: Literal["batchnorm"] = "batchnorm"
    eps: Eps = 1e-5
    momentum: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    affine: bool = True
    track_running_stats: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return shape

    def params(self, shape: Shape) -> int:
        return 2 * shape[0] if self.affine else 0

    def buffers(self, shape: Shape) -> int:
        # running mean and variance per channel, plus num_batches_tracked
        return 2 * shape[0] + 1 if self.track_running_stats else 0

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        cls = getattr(nn, batchnorm_class(shape))
        return cls(  # type: ignore[no-any-return]
            shape[0], self.eps, self.momentum, self.affine, self.track_running_stats
        )


class LayerNorm(Op):
    """layernorm(eps=1e-5, affine=true, over=all | last | channels)

    Normalise each sample over its whole shape (`all`), over the last axis at
    every other position (`last`: nn.LayerNorm(D) on tokens [T, D] or on
    channels-last maps), or over the channels at each position of [C, ...]
    (`channels`: ConvNeXt's LayerNorm2d). Unset, `over` follows the layout:
    `last` on a rank-2 input, read as tokens [T, D]; `all` on [F] (the same
    thing), images and volumes.
    """

    name: ClassVar[str] = "layernorm"
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"over": ("all", "last", "channels")}
    op: Literal["layernorm"] = "layernorm"
    eps: Eps = 1e-5
    affine: bool = True
    over: Literal["all", "last", "channels"] | None = None

    def axes_over(self, shape: Shape) -> Literal["all", "last", "channels"]:
        """`over`, or where it is unset, what the input's layout chooses."""
        if self.over is not None:
            return self.over
        return "last" if len(shape) == 2 else "all"

    def normalized(self, shape: Shape) -> Shape:
        """The axes normalised together, as nn.LayerNorm's `normalized_shape`."""
        over = self.axes_over(shape)
        if over == "all":
            return shape
        return (shape[-1],) if over == "last" else (shape[0],)

    def output_shape(self, shape: Shape) -> Shape:
        if self.over == "channels" and len(shape) < 2:
            raise ShapeError(
                f"over channels expects a map [N, C, ...] of rank 2 to 4, got {fmt_shape(shape)}",
                arg="over",
                help="a flat input has no positions: use `layernorm` over all",
            )
        return shape

    def params(self, shape: Shape) -> int:
        return 2 * numel(self.normalized(shape)) if self.affine else 0

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        if self.over == "channels":
            from archdsl.backend.modules import ChannelLayerNorm

            return ChannelLayerNorm(shape[0], self.eps, self.affine)
        return nn.LayerNorm(list(self.normalized(shape)), self.eps, self.affine)


class GroupNorm(Op):
    """groupnorm(groups, eps=1e-5, affine=true): normalise channel groups"""

    name: ClassVar[str] = "groupnorm"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["groupnorm"] = "groupnorm"
    groups: Annotated[int, Field(ge=1)]
    eps: Eps = 1e-5
    affine: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        if shape[0] % self.groups:
            raise ShapeError(
                f"has groups={self.groups}, which does not divide its {shape[0]} input channels",
                arg="groups",
            )
        return shape

    def params(self, shape: Shape) -> int:
        return 2 * shape[0] if self.affine else 0

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.GroupNorm(self.groups, shape[0], self.eps, self.affine)


class LocalResponseNorm(Op):
    """lrn(size, alpha=1e-4, beta=0.75, k=1.0): AlexNet's local response normalisation"""

    name: ClassVar[str] = "lrn"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["lrn"] = "lrn"
    size: Annotated[int, Field(ge=1)]
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return shape

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.LocalResponseNorm(self.size, self.alpha, self.beta, self.k)
