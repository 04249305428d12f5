"""2-D convolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, effective_kernel, fmt_hw
from archdsl.ops.types import Padding, Size

if TYPE_CHECKING:
    from torch import nn


_GROUPS_HELP = "`groups` must divide both the input and the output channels"


class Conv(Op):
    """conv(out_channels, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true)"""

    name: ClassVar[str] = "conv"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"padding": ("same", "valid")}

    op: Literal["conv"] = "conv"
    out_channels: Annotated[int, Field(ge=1)]
    kernel: Size
    stride: Size = (1, 1)
    padding: Padding | Literal["same", "valid"] = (0, 0)
    dilation: Size = (1, 1)
    groups: Annotated[int, Field(ge=1)] = 1
    bias: bool = True

    def pads(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(before, after) padding for height and width, as torch applies it."""
        if self.padding == "valid":
            return (0, 0), (0, 0)
        if self.padding == "same":
            out = []
            for k, d in zip(self.kernel, self.dilation, strict=True):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return out[0], out[1]
        ph, pw = self.padding
        return (ph, ph), (pw, pw)

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        c, h, w = shape
        if c % self.groups:
            raise ShapeError(
                f"has groups={self.groups}, which does not divide its {c} input channels",
                arg="groups",
                help=_GROUPS_HELP,
            )
        if self.out_channels % self.groups:
            raise ShapeError(
                f"has groups={self.groups}, which does not divide its {self.out_channels} "
                "output channels",
                arg="groups",
                help=_GROUPS_HELP,
            )
        if self.padding == "same" and self.stride != (1, 1):
            raise ShapeError(
                "has padding=same, which needs stride 1",
                arg="padding",
                help="give the padding as a number, e.g. padding=1 for a 3x3 kernel",
            )
        (pt, pb), (pl, pr) = self.pads()
        kh = effective_kernel(self.kernel[0], self.dilation[0])
        kw = effective_kernel(self.kernel[1], self.dilation[1])
        if h + pt + pb < kh or w + pl + pr < kw:
            raise ShapeError(
                f"needs an input of at least {fmt_hw(kh, kw)} after padding, "
                f"got {fmt_hw(h + pt + pb, w + pl + pr)}",
                help="use a smaller kernel, more padding, or a larger input",
            )
        oh = (h + pt + pb - kh) // self.stride[0] + 1
        ow = (w + pl + pr - kw) // self.stride[1] + 1
        return (self.out_channels, oh, ow)

    def params(self, shape: Shape) -> int:
        weight = self.out_channels * (shape[0] // self.groups) * self.kernel[0] * self.kernel[1]
        return weight + (self.out_channels if self.bias else 0)

    def macs(self, shape: Shape, out: Shape) -> int:
        per_output = (shape[0] // self.groups) * self.kernel[0] * self.kernel[1]
        return out[0] * out[1] * out[2] * per_output

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        (top, _), (left, _) = self.pads()
        # torch pads "same" unevenly itself (more after than before), as pads() does.
        padding: str | tuple[int, int] = "same" if self.padding == "same" else (top, left)
        return nn.Conv2d(
            shape[0],
            self.out_channels,
            self.kernel,
            stride=self.stride,
            padding=padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias,
        )
