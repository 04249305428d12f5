"""A table of learned vectors looked up by integer tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape

if TYPE_CHECKING:
    from torch import nn


class Embedding(Op):
    """embedding(num, dim): tokens [T] (whole numbers below `num`) to vectors [T, dim]"""

    name: ClassVar[str] = "embedding"
    ranks: ClassVar[tuple[int, ...]] = (1,)
    op: Literal["embedding"] = "embedding"
    num: Annotated[int, Field(ge=1)]
    dim: Annotated[int, Field(ge=1)]

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return (shape[0], self.dim)

    def params(self, shape: Shape) -> int:
        return self.num * self.dim

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.attention_modules import TokenEmbedding

        return TokenEmbedding(self.num, self.dim)
