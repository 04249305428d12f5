"""Swin's shifted-window self-attention, laid out as torchvision's ShiftedWindowAttention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.attention import check_heads
from archdsl.ops.base import Op, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, fmt_shape

if TYPE_CHECKING:
    from torch import nn


def channels_last(op: Op, shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(
            f"expects a channels-last map [N, H, W, C], got {fmt_shape(shape)}",
            help="from an image [N, C, H, W], `permute([1, 2, 0])` puts the channels last",
        )


class WindowAttention(Op):
    """window_attention(heads, window, shift=0): self-attention in windows of a map [H, W, C]

    Swin's: the map is padded to whole `window` x `window` windows, rolled by
    `shift` (with the attention mask torchvision applies; no shift where one
    window covers the map), and each window attends within itself, with a
    learned relative position bias per head. Parameters and the buffer are
    torchvision's: relative_position_bias_table [(2w-1)^2, heads],
    relative_position_index [w^4], qkv [3C, C] and proj [C, C] with biases.
    """

    name: ClassVar[str] = "window_attention"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["window_attention"] = "window_attention"
    heads: Annotated[int, Field(ge=1)]
    window: Annotated[int, Field(ge=1)]
    shift: Annotated[int, Field(ge=0)] = 0

    def output_shape(self, shape: Shape) -> Shape:
        channels_last(self, shape)
        check_heads(self.heads, shape[2], shape)
        if self.shift >= self.window:
            raise ShapeError(
                f"has shift={self.shift}, which must be smaller than its window {self.window}",
                arg="shift",
                help="Swin shifts by half the window",
            )
        return shape

    def padded(self, shape: Shape) -> tuple[int, int]:
        """Height and width padded up to whole windows."""
        w = self.window
        return -(-shape[0] // w) * w, -(-shape[1] // w) * w

    def params(self, shape: Shape) -> int:
        c = shape[2]
        table = (2 * self.window - 1) ** 2 * self.heads
        return table + 3 * c * c + 3 * c + c * c + c

    def buffers(self, shape: Shape) -> int:
        return self.window**4  # the relative position of every pair of tokens in a window

    def macs(self, shape: Shape, out: Shape) -> int:
        h, w = self.padded(shape)
        c = shape[2]
        return h * w * 4 * c * c + self.attention_macs(shape, out)  # qkv and proj

    def attention_macs(self, shape: Shape, out: Shape) -> int:
        h, w = self.padded(shape)
        return 2 * h * w * self.window**2 * shape[2]  # each token against its window

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.attention_modules import WindowAttention as Module

        return Module(shape[2], self.heads, self.window, self.shifts(shape))

    def shifts(self, shape: Shape) -> tuple[int, int]:
        """The shift along height and width: as torchvision, none where one window covers."""
        h, w = self.padded(shape)
        return (self.shift if self.window < h else 0, self.shift if self.window < w else 0)


class PatchMerging(Op):
    """patch_merging: Swin's 2x2 downsampling of a map [H, W, C] to [H/2, W/2, 2C]

    Each 2x2 patch's four positions are concatenated on the channels in
    torchvision's order ([0::2, 0::2], [1::2, 0::2], [0::2, 1::2], [1::2, 1::2];
    an odd side is padded), then LayerNorm(4C) and Linear(4C, 2C, bias=false),
    registered as torchvision's PatchMerging: reduction, then norm.
    """

    name: ClassVar[str] = "patch_merging"
    ranks: ClassVar[tuple[int, ...]] = (3,)
    op: Literal["patch_merging"] = "patch_merging"

    def output_shape(self, shape: Shape) -> Shape:
        channels_last(self, shape)
        h, w, c = shape
        return (-(-h // 2), -(-w // 2), 2 * c)

    def params(self, shape: Shape) -> int:
        c = shape[2]
        return 8 * c + 8 * c * c

    def macs(self, shape: Shape, out: Shape) -> int:
        return out[0] * out[1] * 4 * shape[2] * out[2]

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.attention_modules import PatchMerging as Module

        return Module(shape[2])
