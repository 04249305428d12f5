"""Convolution and transposed convolution over 1, 2 or 3 spatial axes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, effective_kernel, fmt_sides, numel
from archdsl.ops.types import Padding, Size

if TYPE_CHECKING:
    from torch import nn


_GROUPS_HELP = "`groups` must divide both the input and the output channels"

# The torch layer for each number of spatial axes.
CONV_CLASSES = {1: "Conv1d", 2: "Conv2d", 3: "Conv3d"}
CONV_TRANSPOSE_CLASSES = {1: "ConvTranspose1d", 2: "ConvTranspose2d", 3: "ConvTranspose3d"}


def check_groups(groups: int, c_in: int, c_out: int) -> None:
    for count, which in ((c_in, "input"), (c_out, "output")):
        if count % groups:
            raise ShapeError(
                f"has groups={groups}, which does not divide its {count} {which} channels",
                arg="groups",
                help=_GROUPS_HELP,
            )


class Conv(Op):
    """conv(out_channels, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true)

    Conv1d, Conv2d or Conv3d by the input's rank: [C, L], [C, H, W] or [C, D, H, W].
    """

    name: ClassVar[str] = "conv"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"padding": ("same", "valid")}

    op: Literal["conv"] = "conv"
    out_channels: Annotated[int, Field(ge=1)]
    kernel: Size
    stride: Size = 1
    padding: Padding | Literal["same", "valid"] = 0
    dilation: Size = 1
    groups: Annotated[int, Field(ge=1)] = 1
    bias: bool = True

    def pads(self, shape: Shape) -> tuple[tuple[int, int], ...]:
        """(before, after) padding of each spatial axis, as torch applies it."""
        n = len(shape) - 1
        if self.padding == "valid":
            return ((0, 0),) * n
        if self.padding == "same":
            out = []
            for k, d in zip(self.axes("kernel", shape), self.axes("dilation", shape), strict=True):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        return tuple((p, p) for p in self.axes("padding", shape))

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        check_groups(self.groups, shape[0], self.out_channels)
        stride = self.axes("stride", shape)
        if self.padding == "same" and set(stride) != {1}:
            raise ShapeError(
                "has padding=same, which needs stride 1",
                arg="padding",
                help="give the padding as a number, e.g. padding=1 for a 3x3 kernel",
            )
        pads = self.pads(shape)
        kernel = self.axes("kernel", shape)
        dilation = self.axes("dilation", shape)
        eff = [effective_kernel(k, d) for k, d in zip(kernel, dilation, strict=True)]
        padded = [n + a + b for n, (a, b) in zip(shape[1:], pads, strict=True)]
        if any(p < k for p, k in zip(padded, eff, strict=True)):
            raise ShapeError(
                f"needs an input of at least {fmt_sides(eff)} after padding, "
                f"got {fmt_sides(padded)}",
                help="use a smaller kernel, more padding, or a larger input",
            )
        out = [(p - k) // s + 1 for p, k, s in zip(padded, eff, stride, strict=True)]
        return (self.out_channels, *out)

    def params(self, shape: Shape) -> int:
        weight = self.out_channels * (shape[0] // self.groups) * numel(self.axes("kernel", shape))
        return weight + (self.out_channels if self.bias else 0)

    def macs(self, shape: Shape, out: Shape) -> int:
        per_output = (shape[0] // self.groups) * numel(self.axes("kernel", shape))
        return numel(out) * per_output

    def torch_padding(self, shape: Shape) -> str | tuple[int, ...]:
        # torch pads "same" unevenly itself (more after than before), as pads() does.
        if self.padding == "same":
            return "same"
        return tuple(before for before, _ in self.pads(shape))

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        cls = getattr(nn, CONV_CLASSES[len(shape) - 1])
        module: nn.Module = cls(
            shape[0],
            self.out_channels,
            self.axes("kernel", shape),
            stride=self.axes("stride", shape),
            padding=self.torch_padding(shape),
            dilation=self.axes("dilation", shape),
            groups=self.groups,
            bias=self.bias,
        )
        return module


class ConvTranspose(Op):
    """conv_transpose(out_channels, kernel, stride=1, padding=0, output_padding=0, groups=1, bias=true)"""  # noqa: E501

    # The transposed (fractionally strided) convolution of decoders, 1-D to 3-D by rank.

    name: ClassVar[str] = "conv_transpose"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)

    op: Literal["conv_transpose"] = "conv_transpose"
    out_channels: Annotated[int, Field(ge=1)]
    kernel: Size
    stride: Size = 1
    padding: Padding = 0
    output_padding: Padding = 0
    groups: Annotated[int, Field(ge=1)] = 1
    bias: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        check_groups(self.groups, shape[0], self.out_channels)
        kernel, stride = self.axes("kernel", shape), self.axes("stride", shape)
        padding, extra = self.axes("padding", shape), self.axes("output_padding", shape)
        if any(e >= s for e, s in zip(extra, stride, strict=True)):
            raise ShapeError(
                f"has output_padding {fmt_sides(extra)}, which must be smaller than "
                f"its stride {fmt_sides(stride)}",
                arg="output_padding",
            )
        out = [
            (n - 1) * s - 2 * p + k + e
            for n, s, p, k, e in zip(shape[1:], stride, padding, kernel, extra, strict=True)
        ]
        return (self.out_channels, *out)

    def params(self, shape: Shape) -> int:
        weight = shape[0] * (self.out_channels // self.groups) * numel(self.axes("kernel", shape))
        return weight + (self.out_channels if self.bias else 0)

    def macs(self, shape: Shape, out: Shape) -> int:
        # Every input position scatters into kernel positions of each output channel.
        per_input = (self.out_channels // self.groups) * numel(self.axes("kernel", shape))
        return numel(shape) * per_input

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        cls = getattr(nn, CONV_TRANSPOSE_CLASSES[len(shape) - 1])
        module: nn.Module = cls(
            shape[0],
            self.out_channels,
            self.axes("kernel", shape),
            stride=self.axes("stride", shape),
            padding=self.axes("padding", shape),
            output_padding=self.axes("output_padding", shape),
            groups=self.groups,
            bias=self.bias,
        )
        return module
