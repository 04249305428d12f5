"""Normalisation layers: batch, layer, group and local response norm."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, numel

if TYPE_CHECKING:
    from torch import nn

Eps = Annotated[float, Field(gt=0.0)]


class BatchNorm(Op):
    """batchnorm(eps=1e-5, momentum=0.1, affine=true, track_running_stats=true)"""

    name: ClassVar[str] = "batchnorm"
    aliases: ClassVar[tuple[str, ...]] = ("bn",)
    ranks: ClassVar[tuple[int, ...]] = (1, 3)

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

        cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return cls(shape[0], self.eps, self.momentum, self.affine, self.track_running_stats)


class LayerNorm(Op):
    """layernorm(eps=1e-5, affine=true): normalise over each sample's whole shape"""

    name: ClassVar[str] = "layernorm"
    op: Literal["layernorm"] = "layernorm"
    eps: Eps = 1e-5
    affine: bool = True

    def params(self, shape: Shape) -> int:
        return 2 * numel(shape) if self.affine else 0

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.LayerNorm(list(shape), self.eps, self.affine)


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
