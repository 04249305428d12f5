"""Recurrent layers over a sequence [T, F], with torch's parameter convention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op, Operand, ShapeError
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape, fmt_shape

if TYPE_CHECKING:
    from torch import nn


class _Recurrent(Op):
    """Shared by GRU and LSTM: they differ in their number of gates and of states.

    The op gives the output sequence; with `state=true` also its last state,
    batch first: h_n (and the LSTM's c_n), each [layers * directions, hidden]
    per sample, torch's h_n with the batch axis moved to the front. The module
    is torch's (its parameters and their names are nn.GRU's and nn.LSTM's);
    only its `forward` picks what it returns.
    """

    ranks: ClassVar[tuple[int, ...]] = (2,)
    outputs: ClassVar[int | None] = None
    gates: ClassVar[int]
    states: ClassVar[int]  # the state tensors torch returns: h_n, or h_n and c_n
    torch_class: ClassVar[str]  # the module giving the sequence
    state_class: ClassVar[str]  # the module giving the sequence and the last state

    hidden: Annotated[int, Field(ge=1)]
    layers: Annotated[int, Field(ge=1)] = 1
    bidirectional: bool = False
    state: bool = False

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(
                f"expects a sequence [N, T, features], got {fmt_shape(shape)}",
                help="a map [C, H, W] becomes a sequence with `tokens` or `flatten(1)`",
            )
        return (shape[0], self.hidden * self.directions())

    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        sequence = self.output_shape(ins[0].shape)
        if not self.state:
            return [sequence]
        return [sequence, *[(self.layers * self.directions(), self.hidden)] * self.states]

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

        cls = getattr(attention_modules, self.state_class if self.state else self.torch_class)
        return cls(  # type: ignore[no-any-return]
            shape[1],
            self.hidden,
            self.layers,
            batch_first=True,
            bidirectional=self.bidirectional,
        )


class GRU(_Recurrent):
    """gru(hidden, layers=1, bidirectional=false, state=false)

    [T, F] to the sequence [T, hidden * dirs]; with `state`, also h_n.
    """

    name: ClassVar[str] = "gru"
    more: ClassVar[str] = "`gru(..., state=true)` also gives its last hidden state: `seq, h = ...`"
    gates: ClassVar[int] = 3
    states: ClassVar[int] = 1
    torch_class: ClassVar[str] = "SequenceGRU"
    state_class: ClassVar[str] = "StateGRU"
    op: Literal["gru"] = "gru"


class LSTM(_Recurrent):
    """lstm(hidden, layers=1, bidirectional=false, state=false)

    [T, F] to the sequence [T, hidden * dirs]; with `state`, also h_n and c_n.
    """

    name: ClassVar[str] = "lstm"
    more: ClassVar[str] = (
        "`lstm(..., state=true)` also gives its last hidden and cell states: `seq, h, c = ...`"
    )
    gates: ClassVar[int] = 4
    states: ClassVar[int] = 2
    torch_class: ClassVar[str] = "SequenceLSTM"
    state_class: ClassVar[str] = "StateLSTM"
    op: Literal["lstm"] = "lstm"
