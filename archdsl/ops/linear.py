"""Fully connected layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, numel

if TYPE_CHECKING:
    from torch import nn


class Linear(Op):
    """linear(out_features, bias=true); also spelt `fc`.

    Acts on the last axis, as torch does: [F] to [out], tokens [T, D] to [T, out].
    """

    name: ClassVar[str] = "linear"
    aliases: ClassVar[tuple[str, ...]] = ("fc",)

    op: Literal["linear"] = "linear"
    out_features: Annotated[int, Field(ge=1)]
    bias: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return (*shape[:-1], self.out_features)

    def params(self, shape: Shape) -> int:
        return shape[-1] * self.out_features + (self.out_features if self.bias else 0)

    def macs(self, shape: Shape, out: Shape) -> int:
        return numel(shape) * self.out_features  # positions x in x out

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Linear(shape[-1], self.out_features, bias=self.bias)
