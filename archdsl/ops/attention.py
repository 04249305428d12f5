"""Multi-head self-attention over a token sequence, laid out as nn.MultiheadAttention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, fmt_shape

if TYPE_CHECKING:
    from torch import nn


def check_heads(heads: int, width: int, shape: Shape) -> None:
    if width % heads:
        raise ShapeError(
            f"has heads={heads}, which does not divide the width {width} of {fmt_shape(shape)}",
            arg="heads",
            help="each head takes width / heads features: choose heads dividing the width",
        )


class MultiheadAttention(Op):
    """multihead_attention(heads, dropout=0.0, bias=true): self-attention over tokens [T, D]

    Parameters as nn.MultiheadAttention(D, heads): in_proj_weight [3D, D],
    in_proj_bias [3D], out_proj [D, D] and its bias.
    """

    name: ClassVar[str] = "multihead_attention"
    ranks: ClassVar[tuple[int, ...]] = (2,)
    op: Literal["multihead_attention"] = "multihead_attention"
    heads: Annotated[int, Field(ge=1)]
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    bias: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(
                f"expects tokens [N, T, D], got {fmt_shape(shape)}",
                help="`tokens` turns a map [N, C, H, W] into tokens [N, H*W, C]",
            )
        check_heads(self.heads, shape[1], shape)
        return shape

    def params(self, shape: Shape) -> int:
        d = shape[1]
        return 4 * d * d + (4 * d if self.bias else 0)

    def macs(self, shape: Shape, out: Shape) -> int:
        t, d = shape
        return 4 * t * d * d + self.attention_macs(shape, out)  # in and out projections

    def attention_macs(self, shape: Shape, out: Shape) -> int:
        t, d = shape
        return 2 * t * t * d  # q·kᵀ and attn·v, over all heads together

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.attention_modules import SelfAttention

        return SelfAttention(shape[1], self.heads, self.dropout, self.bias, batch_first=True)
