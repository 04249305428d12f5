"""Max and average pooling over 1, 2 or 3 spatial axes: windowed, global and adaptive."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, effective_kernel, fmt_side, fmt_sides, window_out
from archdsl.ops.types import Padding, Size

if TYPE_CHECKING:
    from torch import nn

# Spatial axes of [C, L], [C, H, W] and [C, D, H, W] inputs to torch's suffix.
_DIMS = {2: "1d", 3: "2d", 4: "3d"}


def pool_class(kind: str, shape: Shape) -> str:
    """torch's class name: `pool_class("MaxPool", (3, 8, 8))` is "MaxPool2d"."""
    return kind + _DIMS[len(shape)]


class _WindowPool(Op):
    """Shared shape rule of max and average pooling."""

    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"kernel": ("global",)}

    kernel: Size | Literal["global"]
    stride: Size | None = None
    padding: Padding = 0
    if TYPE_CHECKING:
        # Each pool declares it, where its positional order puts it (after
        # maxpool's dilation): a field declared here would come before.
        ceil_mode: bool

    def _dilation(self, shape: Shape) -> tuple[int, ...]:
        return (1,) * (len(shape) - 1)

    def window(self, shape: Shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Kernel and stride of a windowed pool (stride defaults to the kernel, as in torch)."""
        assert self.kernel != "global"
        kernel = self.axes("kernel", shape)
        return kernel, kernel if self.stride is None else self.axes("stride", shape)

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        if self.kernel == "global":
            return (shape[0], *(1,) * (len(shape) - 1))
        kernel, stride = self.window(shape)
        dil = self._dilation(shape)
        pad = self.axes("padding", shape)
        eff = [effective_kernel(k, d) for k, d in zip(kernel, dil, strict=True)]
        if any(2 * p > k for p, k in zip(pad, eff, strict=True)):
            raise ShapeError(
                f"has padding {fmt_side(pad)}, more than half its {fmt_sides(kernel)} kernel",
                arg="padding",
                help="torch allows at most half the kernel as padding",
            )
        padded = [n + 2 * p for n, p in zip(shape[1:], pad, strict=True)]
        if any(n < k for n, k in zip(padded, eff, strict=True)):
            raise ShapeError(
                f"needs an input of at least {fmt_sides(eff)}, got {fmt_sides(padded)}",
                help="remove a downsampling step or start from a larger input",
            )
        out = [
            window_out(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip(shape[1:], kernel, stride, pad, dil, strict=True)
        ]
        return (shape[0], *out)


class MaxPool(_WindowPool):
    """maxpool(kernel | global, stride=kernel, padding=0, dilation=1, ceil_mode=false)"""

    name: ClassVar[str] = "maxpool"
    op: Literal["maxpool"] = "maxpool"
    dilation: Size = 1
    ceil_mode: bool = False

    def _dilation(self, shape: Shape) -> tuple[int, ...]:
        return self.axes("dilation", shape)

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        if self.kernel == "global":
            return getattr(nn, pool_class("AdaptiveMaxPool", shape))(1)  # type: ignore[no-any-return]
        kernel, stride = self.window(shape)
        cls = getattr(nn, pool_class("MaxPool", shape))
        pad, dil = self.axes("padding", shape), self.axes("dilation", shape)
        return cls(kernel, stride, pad, dil, ceil_mode=self.ceil_mode)  # type: ignore[no-any-return]


class AvgPool(_WindowPool):
    """avgpool(kernel | global, stride=kernel, padding=0, ceil_mode=false, count_include_pad=true)

    Average pooling; `global` averages each channel's whole map to 1x1.
    """

    name: ClassVar[str] = "avgpool"
    op: Literal["avgpool"] = "avgpool"
    ceil_mode: bool = False
    count_include_pad: bool = True

    def output_shape(self, shape: Shape) -> Shape:
        out = super().output_shape(shape)
        if len(shape) == 4 and self.kernel != "global":
            # torch's 3-D average pool, unlike the others, wants the kernel to
            # fit the input before padding.
            kernel = self.axes("kernel", shape)
            if any(n < k for n, k in zip(shape[1:], kernel, strict=True)):
                raise ShapeError(
                    f"needs a volume of at least {fmt_sides(kernel)} before padding, "
                    f"got {fmt_sides(shape[1:])}",
                    help="torch's 3-D average pool does not count padding toward the kernel",
                )
        return out

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        if self.kernel == "global":
            return getattr(nn, pool_class("AdaptiveAvgPool", shape))(1)  # type: ignore[no-any-return]
        kernel, stride = self.window(shape)
        cls = getattr(nn, pool_class("AvgPool", shape))
        pad = self.axes("padding", shape)
        return cls(kernel, stride, pad, self.ceil_mode, self.count_include_pad)  # type: ignore[no-any-return]


class _AdaptivePool(Op):
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)

    size: Size

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        return (shape[0], *self.axes("size", shape))


class AdaptiveAvgPool(_AdaptivePool):
    """adaptive_avgpool(size): average to a fixed output size, e.g. 6x6"""

    name: ClassVar[str] = "adaptive_avgpool"
    op: Literal["adaptive_avgpool"] = "adaptive_avgpool"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        cls = getattr(nn, pool_class("AdaptiveAvgPool", shape))
        return cls(self.axes("size", shape))  # type: ignore[no-any-return]


class AdaptiveMaxPool(_AdaptivePool):
    """adaptive_maxpool(size): max to a fixed output size"""

    name: ClassVar[str] = "adaptive_maxpool"
    op: Literal["adaptive_maxpool"] = "adaptive_maxpool"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        cls = getattr(nn, pool_class("AdaptiveMaxPool", shape))
        return cls(self.axes("size", shape))  # type: ignore[no-any-return]
