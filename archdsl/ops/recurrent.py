"""Recurrent layers over a sequence [T, F], with torch's parameter convention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.shape_math import Shape, fmt_shape

if TYPE_CHECKING:
    from torch import nn


class _Recurrent(Op):
    """Shared by GRU and LSTM: they differ in their number of gates.

    The op gives the output sequence; the last hidden state h_n that torch
    also returns is kept by the module for a second output once ops may
    have several (it is `outputs[1]` of the torch call).
    """

    ranks: ClassVar[tuple[int, ...]] = (2,)
    gates: ClassVar[int]
    torch_class: ClassVar[str]

    hidden: Annotated[int, Field(ge=1)]
    layers: Annotated[int, Field(ge=1)] = 1
    bidirectional: bool = False

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(
                f"expects a sequence [N, T, features], got {fmt_shape(shape)}",
                help="a map [C, H, W] becomes a sequence with `tokens` or `flatten(1)`",
            )
        return (shape[0], self.hidden * self.directions())

    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _per_direction(self, shape: Shape) -> list[tuple[int, int]]:
        """(input width, hidden) of each layer: the first reads the input, the rest below."""
        width = [shape[1]] + [self.hidden * self.directions()] * (self.layers - 1)
        return [(w, self.hidden) for w in width]

    def params(self, shape: Shape) -> int:
        g = self.gates
        per = sum(g * h * (w + h + 2) for w, h in self._per_direction(shape))
        return per * self.directions()

    def macs(self, shape: Shape, out: Shape) -> int:
        # Each step's input and hidden products, as linear layers count.
        g, t = self.gates, shape[0]
        per = sum(t * g * h * (w + h) for w, h in self._per_direction(shape))
        return per * self.directions()

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend import attention_modules

        cls = getattr(attention_modules, self.torch_class)
        return cls(  # type: ignore[no-any-return]
            shape[1],
            self.hidden,
            self.layers,
            batch_first=True,
            bidirectional=self.bidirectional,
        )


class GRU(_Recurrent):
    """gru(hidden, layers=1, bidirectional=false): [T, F] to the sequence [T, hidden * dirs]"""

    name: ClassVar[str] = "gru"
    gates: ClassVar[int] = 3
    torch_class: ClassVar[str] = "SequenceGRU"
    op: Literal["gru"] = "gru"


class LSTM(_Recurrent):
    """lstm(hidden, layers=1, bidirectional=false): [T, F] to the sequence [T, hidden * dirs]"""

    name: ClassVar[str] = "lstm"
    gates: ClassVar[int] = 4
    torch_class: ClassVar[str] = "SequenceLSTM"
    op: Literal["lstm"] = "lstm"
