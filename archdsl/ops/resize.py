"""Changing the spatial size of a map without learning: upsampling and centre cropping."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, fmt_sides
from archdsl.ops.types import Size

if TYPE_CHECKING:
    from torch import nn

# The interpolating mode torch names for each number of spatial axes.
_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


class Upsample(Op):
    """upsample(scale, mode=nearest | linear | bilinear | trilinear, size): enlarge a map

    By a whole factor on each axis (`scale`), or to a `size`; the interpolating
    modes take maps of 1, 2 and 3 spatial axes respectively.
    """

    name: ClassVar[str] = "upsample"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {
        "mode": ("nearest", "linear", "bilinear", "trilinear")
    }
    op: Literal["upsample"] = "upsample"
    scale: Size | None = None
    mode: Literal["nearest", "linear", "bilinear", "trilinear"] = "nearest"
    size: Size | None = None

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        if (self.scale is None) == (self.size is None):
            raise ShapeError("needs either a `scale` or a `size`, not both", arg="size")
        spatial = len(shape) - 1
        if self.mode != "nearest" and self.mode != _LINEAR[spatial]:
            raise ShapeError(
                f"has mode={self.mode}, which takes a map of "
                f"{next(k for k, v in _LINEAR.items() if v == self.mode)} spatial axes, "
                f"not {spatial}",
                arg="mode",
                help=f"use mode={_LINEAR[spatial]} or nearest",
            )
        if self.size is not None:
            return (shape[0], *self.axes("size", shape))
        scale = self.axes("scale", shape)
        return (shape[0], *(n * s for n, s in zip(shape[1:], scale, strict=True)))

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        # The output size, known here, rather than a scale: the ONNX exporter
        # then knows the shape that follows (adaptive pools need it).
        return nn.Upsample(size=out[1:], mode=self.mode)


class Crop(Op):
    """crop(size): the centre of a map, `size` on each spatial axis (U-Net's skip crop)"""

    name: ClassVar[str] = "crop"
    ranks: ClassVar[tuple[int, ...]] = (2, 3, 4)
    op: Literal["crop"] = "crop"
    size: Size

    def output_shape(self, shape: Shape) -> Shape:
        self.check_rank(shape)
        size = self.axes("size", shape)
        if any(s > n for s, n in zip(size, shape[1:], strict=True)):
            raise ShapeError(
                f"cannot crop {fmt_sides(shape[1:])} to a larger {fmt_sides(size)}",
                arg="size",
            )
        return (shape[0], *size)

    def offsets(self, shape: Shape) -> tuple[int, ...]:
        """Where the crop starts on each axis: the extra split evenly, one more after."""
        return tuple((n - s) // 2 for n, s in zip(shape[1:], self.axes("size", shape), strict=True))

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.layout_modules import Crop as CropModule

        return CropModule(self.offsets(shape), out[1:])  # start and length per axis
