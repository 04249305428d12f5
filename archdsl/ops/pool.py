"""Max and average pooling: windowed, global and adaptive."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, effective_kernel, fmt_hw, window_out
from archdsl.ops.types import Padding, Size

if TYPE_CHECKING:
    from torch import nn


def _side(size: tuple[int, int]) -> str:
    return str(size[0]) if size[0] == size[1] else fmt_hw(*size)


class _WindowPool(Op):
    """Shared shape rule of max and average pooling."""

    ranks: ClassVar[tuple[int, ...]] = (3,)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"kernel": ("global",)}

    kernel: Size | Literal["global"]
    stride: Size | None = None
    padding: Padding = (0, 0)
    if TYPE_CHECKING:
        # Each pool declares it, where its positional order puts it (after
        # maxpool's dilation): a field declared here would come before.
        ceil_mode: bool

    def _dilation(self) -> tuple[int, int]:
        return (1, 1)

    def window(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Kernel and stride of a windowed pool (stride defaults to the kernel, as in torch)."""
        assert self.kernel != "global"
        return self.kernel, self.stride or self.kernel

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        c, h, w = shape
        if self.kernel == "global":
            return (c, 1, 1)
        kernel, stride = self.window()
        dil = self._dilation()
        for axis in range(2):
            if self.padding[axis] * 2 > effective_kernel(kernel[axis], dil[axis]):
                raise ShapeError(
                    f"has padding {_side(self.padding)}, more than half its "
                    f"{fmt_hw(*kernel)} kernel",
                    arg="padding",
                    help="torch allows at most half the kernel as padding",
                )
        kh = effective_kernel(kernel[0], dil[0])
        kw = effective_kernel(kernel[1], dil[1])
        ph, pw = self.padding
        padded_h, padded_w = h + 2 * ph, w + 2 * pw
        if padded_h < kh or padded_w < kw:
            raise ShapeError(
                f"needs an input of at least {fmt_hw(kh, kw)}, got {fmt_hw(padded_h, padded_w)}",
                help="remove a downsampling step or start from a larger input",
            )
        oh = window_out(h, kernel[0], stride[0], ph, dil[0], self.ceil_mode)
        ow = window_out(w, kernel[1], stride[1], pw, dil[1], self.ceil_mode)
        return (c, oh, ow)


class MaxPool(_WindowPool):
    """maxpool(kernel | global, stride=kernel, padding=0, dilation=1, ceil_mode=false)"""

    name: ClassVar[str] = "maxpool"
    op: Literal["maxpool"] = "maxpool"
    dilation: Size = (1, 1)
    ceil_mode: bool = False

    def _dilation(self) -> tuple[int, int]:
        return self.dilation

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        if self.kernel == "global":
            return nn.AdaptiveMaxPool2d(1)
        kernel, stride = self.window()
        return nn.MaxPool2d(kernel, stride, self.padding, self.dilation, ceil_mode=self.ceil_mode)


class AvgPool(_WindowPool):
    """avgpool(kernel | global, stride=kernel, padding=0, ceil_mode=false, count_include_pad=true)

    Average pooling; `global` averages each channel's whole map to 1x1.
    """

    name: ClassVar[str] = "avgpool"
    op: Literal["avgpool"] = "avgpool"
    ceil_mode: bool = False
    count_include_pad: bool = True

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        if self.kernel == "global":
            return nn.AdaptiveAvgPool2d(1)
        kernel, stride = self.window()
        return nn.AvgPool2d(kernel, stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AdaptivePool(Op):
    ranks: ClassVar[tuple[int, ...]] = (3,)

    size: Size

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return (shape[0], *self.size)


class AdaptiveAvgPool(_AdaptivePool):
    """adaptive_avgpool(size): average to a fixed output size, e.g. 6x6"""

    name: ClassVar[str] = "adaptive_avgpool"
    op: Literal["adaptive_avgpool"] = "adaptive_avgpool"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.AdaptiveAvgPool2d(self.size)


class AdaptiveMaxPool(_AdaptivePool):
    """adaptive_maxpool(size): max to a fixed output size"""

    name: ClassVar[str] = "adaptive_maxpool"
    op: Literal["adaptive_maxpool"] = "adaptive_maxpool"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.AdaptiveMaxPool2d(self.size)
