"""`param`: a learned tensor that takes no input (class token, position embedding,
layer scale), shared by every sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, Operand
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, numel

if TYPE_CHECKING:
    from torch import nn

Init = Literal["zeros", "ones", "normal", "trunc_normal", "constant"]


class Param(Op):
    """param(shape, init=zeros, std=0.02, value=0.0): a learned tensor of exactly `shape`

    `init` is zeros, ones, normal (mean 0, `std`), trunc_normal (`std`, cut at
    two deviations) or constant (`value`).
    """

    name: ClassVar[str] = "param"
    arity: ClassVar[tuple[int, int | None]] = (0, 0)
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {
        "init": ("zeros", "ones", "normal", "trunc_normal", "constant")
    }
    op: Literal["param"] = "param"
    shape: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=5)]
    init: Init = "zeros"
    std: Annotated[float, Field(gt=0.0)] = 0.02
    value: float = 0.0

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        return [tuple(self.shape)]

    def params_of(self, ins: Sequence[Operand]) -> int:
        return numel(tuple(self.shape))

    def buffers_of(self, ins: Sequence[Operand]) -> int:
        return 0

    def macs_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> int:
        return 0

    def attention_macs_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> int:
        return 0

    def torch_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> nn.Module:
        from archdsl.backend.value_modules import Param as ParamModule

        return ParamModule(tuple(self.shape), self.init, self.std, self.value)
