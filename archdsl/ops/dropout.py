"""Dropout: zeroes activations at random while training, nothing at inference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape

if TYPE_CHECKING:
    from torch import nn

Probability = Annotated[float, Field(ge=0.0, lt=1.0)]


class Dropout(Op):
    """dropout(p=0.5): zero each activation with probability p"""

    name: ClassVar[str] = "dropout"
    view: ClassVar[bool] = True  # at inference it returns its input
    op: Literal["dropout"] = "dropout"
    p: Probability = 0.5

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Dropout(self.p)


class Dropout2d(Op):
    """dropout2d(p=0.5): zero whole channels with probability p"""

    name: ClassVar[str] = "dropout2d"
    view: ClassVar[bool] = True  # at inference it returns its input
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["dropout2d"] = "dropout2d"
    p: Probability = 0.5

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return shape

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Dropout2d(self.p)
