"""Elementwise activations: the shape passes through, nothing is learnt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape
from archdsl.ops.split import axis_of

if TYPE_CHECKING:
    from torch import nn


class ReLU(Op):
    """relu: max(x, 0)"""

    name: ClassVar[str] = "relu"
    in_place: ClassVar[bool] = True
    op: Literal["relu"] = "relu"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.ReLU(inplace=True)


class ReLU6(Op):
    """relu6: min(max(x, 0), 6), as in MobileNet"""

    name: ClassVar[str] = "relu6"
    in_place: ClassVar[bool] = True
    op: Literal["relu6"] = "relu6"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.ReLU6(inplace=True)


class LeakyReLU(Op):
    """leaky_relu(slope=0.01): x for x > 0, slope * x otherwise"""

    name: ClassVar[str] = "leaky_relu"
    in_place: ClassVar[bool] = True
    op: Literal["leaky_relu"] = "leaky_relu"
    slope: Annotated[float, Field(ge=0.0)] = 0.01

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.LeakyReLU(self.slope, inplace=True)


class ELU(Op):
    """elu(alpha=1.0): x for x > 0, alpha * (exp(x) - 1) otherwise"""

    name: ClassVar[str] = "elu"
    op: Literal["elu"] = "elu"
    alpha: Annotated[float, Field(gt=0.0)] = 1.0

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.ELU(self.alpha)


class GELU(Op):
    """gelu(approximate="none"): Gaussian error linear unit ("tanh" for the approximation)"""

    name: ClassVar[str] = "gelu"
    op: Literal["gelu"] = "gelu"
    approximate: Literal["none", "tanh"] = "none"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.GELU(self.approximate)


class SiLU(Op):
    """silu: x * sigmoid(x), also called swish"""

    name: ClassVar[str] = "silu"
    in_place: ClassVar[bool] = True
    aliases: ClassVar[tuple[str, ...]] = ("swish",)
    op: Literal["silu"] = "silu"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.SiLU(inplace=True)


class Hardswish(Op):
    """hardswish: x * relu6(x + 3) / 6, as in MobileNetV3"""

    name: ClassVar[str] = "hardswish"
    in_place: ClassVar[bool] = True
    op: Literal["hardswish"] = "hardswish"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Hardswish(inplace=True)


class Hardsigmoid(Op):
    """hardsigmoid: relu6(x + 3) / 6, MobileNetV3's cheap sigmoid"""

    name: ClassVar[str] = "hardsigmoid"
    in_place: ClassVar[bool] = True
    op: Literal["hardsigmoid"] = "hardsigmoid"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Hardsigmoid(inplace=True)


class Sigmoid(Op):
    """sigmoid: 1 / (1 + exp(-x))"""

    name: ClassVar[str] = "sigmoid"
    op: Literal["sigmoid"] = "sigmoid"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Sigmoid()


class Tanh(Op):
    """tanh"""

    name: ClassVar[str] = "tanh"
    op: Literal["tanh"] = "tanh"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Tanh()


class Softmax(Op):
    """softmax(dim): normalise into probabilities along one per-sample axis

    By default the channels of an image or volume and the features of [F]
    (axis 0), and the last axis D of a rank-2 input, read as tokens [T, D] (a
    1-D signal [C, L] takes `dim=0`). `dim` counts per-sample axes, negative
    from the end.
    """

    name: ClassVar[str] = "softmax"
    op: Literal["softmax"] = "softmax"
    dim: int | None = None

    def axis(self, shape: Shape) -> int:
        """The per-sample axis normalised over."""
        if self.dim is None:
            return len(shape) - 1 if len(shape) == 2 else 0
        return axis_of(self.dim, shape)

    def output_shape(self, shape: Shape) -> Shape:
        self.axis(shape)  # an axis the input lacks is an error
        return shape

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from torch import nn

        return nn.Softmax(dim=self.axis(shape) + 1)  # past the batch axis
