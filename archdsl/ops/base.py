"""The contract every op fulfils: arguments, shape rule, counts, torch module.

An op is a pydantic model whose fields are its arguments, in positional order.
Validation of each argument's type and bounds is pydantic's; the rules that
need the incoming shape live in `output_shape`, which raises `ShapeError`
naming the argument at fault so the diagnostic points at it.
"""

# No `from __future__ import annotations` here: pydantic reads this class's
# annotations again for each of the fifty-odd op classes, and as strings each
# was compiled anew, a fifth of the time `archdsl check` spent importing ops.
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict

from archdsl.ops.shape_math import Shape, fmt_shape
from archdsl.ops.types import axes

if TYPE_CHECKING:
    from torch import nn


class ShapeError(Exception):
    """An op cannot accept its input; `arg` names the argument at fault, if one is.

    The message is a predicate: the diagnostic puts the op's summary before it
    ("maxpool(3x3) needs an input of at least 3x3, got 2x2").
    """

    def __init__(self, message: str, arg: str | None = None, help: str | None = None):
        super().__init__(message)
        self.message = message
        self.arg = arg
        self.help = help


class Operand(NamedTuple):
    """One input of an op with several: its shape, per sample where `batched`, else
    the whole stored shape of a value shared by every sample (a `param`)."""

    shape: Shape
    batched: bool = True


class Measured(NamedTuple):
    """What an op makes of its inputs: each output's shape, and its counts."""

    shapes: tuple[Shape, ...]
    params: int
    buffers: int
    macs: int
    attention_macs: int


class Op(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    # The name a spec calls the op by; subclasses also declare `op: Literal[name]`,
    # the tag that tells ops apart in the IR's JSON.
    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    # Accepted input ranks (per sample): 1 is [features], 2 is [C, L] or tokens
    # [T, D], 3 is [C, H, W], 4 is [C, D, H, W].
    ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    # What the op takes, in words, where its ranks alone would say it wrongly.
    takes: ClassVar[str] = ""
    # Bare words an argument accepts, such as `same` for padding.
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {}
    doc: ClassVar[str] = ""
    # How many values the op takes, (fewest, most; None: any number). A one-input op
    # takes the flowing value; an op taking several lists them as positional
    # arguments (`add(a, b)`), and one taking none starts a value (`param`).
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    # How many values it makes; None where its arguments say (`chunk(3)`).
    outputs: ClassVar[int | None] = 1
    # How to make it give more values, where an argument can (said when too many
    # names are given for its values).
    more: ClassVar[str] = ""
    # Its module overwrites its input where nothing else reads it (see ir/inplace.py).
    in_place: ClassVar[bool] = False
    # Its output may be its input itself or a view of it, sharing the memory.
    view: ClassVar[bool] = False

    # Argument names in positional order, and the required ones; set per subclass.
    _arg_names: ClassVar[tuple[str, ...]] = ()
    _required: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        cls._arg_names = tuple(f for f in fields if f != "op")
        cls._required = tuple(f for f in cls._arg_names if fields[f].is_required())

    @classmethod
    def arg_names(cls) -> tuple[str, ...]:
        """Argument names in positional order."""
        return cls._arg_names

    @classmethod
    def required_args(cls) -> tuple[str, ...]:
        return cls._required

    @classmethod
    def takes_values(cls) -> bool:
        """Whether its positional arguments are the values it joins, not its fields."""
        return cls.arity != (1, 1) and cls.arity != (0, 0)

    @classmethod
    def signature(cls) -> list[tuple[str, str | None]]:
        """Each argument in positional order, with its default as a spec writes it
        (None for a required one): what an editor offers after `conv(`."""
        out: list[tuple[str, str | None]] = []
        for name in cls.arg_names():
            info = cls.model_fields[name]
            default = info.default
            if info.is_required():
                shown = None
            else:
                shown = "unset" if default is None else _fmt_value(default, name)
            out.append((name, shown))
        return out

    # ---- static semantics ---------------------------------------------------
    def check_rank(self, shape: Shape) -> None:
        if len(shape) not in self.ranks:
            words = [_RANK_WORDS[r] for r in self.ranks]
            want = self.takes or ", ".join(words[:-1]) + " or " * (len(words) > 1) + words[-1]
            help = None
            if self.ranks == (1,) and len(shape) > 1:
                help = "add `flatten` before it"
            raise ShapeError(f"expects {want}, got {fmt_shape(shape)}", help=help)

    def axes(self, field: str, shape: Shape) -> tuple[int, ...]:
        """The size argument `field` on each spatial axis of `shape` ([C, ...spatial])."""
        value = getattr(self, field)
        n = len(shape) - 1
        sides = axes(value, n)
        if sides is None:
            raise ShapeError(
                f"has {field} {_fmt_value(value)}, which has {len(value)} sides for the "
                f"{n} spatial axes of {fmt_shape(shape)}",
                arg=field,
                help=f"give one number for every axis, or {n} sides like " + "x".join(["3"] * n),
            )
        return sides

    def output_shape(self, shape: Shape) -> Shape:
        """The per-sample output shape; the default keeps the shape."""
        self.check_rank(shape)
        return shape

    def params(self, shape: Shape) -> int:
        return 0

    def buffers(self, shape: Shape) -> int:
        return 0

    def macs(self, shape: Shape, out: Shape) -> int:
        """Multiply-accumulates, batch 1: of weights (conv, linear) and of attention."""
        return 0

    def attention_macs(self, shape: Shape, out: Shape) -> int:
        """The part of `macs` in attention's two matrix products, q·kᵀ and attn·v."""
        return 0

    # ---- several inputs and outputs -------------------------------------------
    # Elaboration and the backend call these; by default they delegate to the
    # one-input methods above, so a one-in one-out op implements only those.
    def output_shapes(self, ins: Sequence[Operand]) -> list[Shape]:
        """The shape of each output value."""
        return [self.output_shape(ins[0].shape)]

    def measure(self, ins: Sequence[Operand]) -> Measured:
        """Output shapes and counts for these inputs (counts 0 where an output is
        empty); raises ShapeError as `output_shapes` does."""
        key = (id(self), tuple(ins))
        hit = _MEASURED.get(key)
        if hit is not None:
            return hit[1]
        shapes = tuple(self.output_shapes(ins))
        if any(min(s, default=1) < 1 for s in shapes):
            measured = Measured(shapes, 0, 0, 0, 0)
        else:
            measured = Measured(
                shapes,
                self.params_of(ins),
                self.buffers_of(ins),
                self.macs_of(ins, shapes),
                self.attention_macs_of(ins, shapes),
            )
        if len(_MEASURED) >= _MAX_MEASURED:
            _MEASURED.clear()
        _MEASURED[key] = (self, measured)
        return measured

    def params_of(self, ins: Sequence[Operand]) -> int:
        return self.params(ins[0].shape)

    def buffers_of(self, ins: Sequence[Operand]) -> int:
        return self.buffers(ins[0].shape)

    def macs_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> int:
        return self.macs(ins[0].shape, outs[0])

    def attention_macs_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> int:
        return self.attention_macs(ins[0].shape, outs[0])

    def torch_of(self, ins: Sequence[Operand], outs: Sequence[Shape]) -> "nn.Module":
        """The module; with several inputs its forward takes them in order, and with
        several outputs it returns a tuple."""
        return self.to_torch(ins[0].shape, outs[0])

    # ---- backend -------------------------------------------------------------
    def to_torch(self, shape: Shape, out: Shape) -> "nn.Module":
        raise NotImplementedError(f"no torch module for `{self.name}`")

    # ---- display -------------------------------------------------------------
    def summary(self) -> str:
        """`conv(64, 3x3, stride=2)`: the op with its non-default arguments."""
        parts: list[str] = []
        for field, required, default in _arguments(type(self)):
            value = getattr(self, field)
            text = _fmt_value(value, field)
            if required:
                parts.append(text)
            elif value != default:
                parts.append(f"{field}={text}")
        return f"{self.name}({', '.join(parts)})" if parts else self.name


# An op gives the same shapes and counts for the same inputs, and layers with the
# same arguments share one op instance (elaborate/op_args.py): a stack of equal
# layers on equal shapes is measured once. An entry holds its op alive, so that
# no other op can take that op's id while the entry lives.
_MEASURED: dict[tuple[int, tuple[Operand, ...]], tuple[Op, Measured]] = {}
_MAX_MEASURED = 4096


@cache
def _arguments(cls: type[Op]) -> tuple[tuple[str, bool, Any], ...]:
    """An op class's arguments: (name, required, default). Asking pydantic for
    `model_fields` costs more than the rest of a summary, once per printed row."""
    return tuple(
        (name, info.is_required(), info.default)
        for name, info in cls.model_fields.items()
        if name != "op"
    )


_RANK_WORDS = {
    1: "a flat input [N, features]",
    2: "a sequence [N, C, L]",
    3: "an image [N, C, H, W]",
    4: "a volume [N, C, D, H, W]",
}


# Fields shown as `3x3` even when square; other sizes print as one number when
# square; any other tuple (dims, a shape) prints as a list.
_SIZE_FIELDS = frozenset({"kernel", "size"})
_SIDE_FIELDS = frozenset({"stride", "padding", "dilation", "output_padding", "scale"})


def _fmt_value(value: Any, field: str = "kernel") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        if field in _SIZE_FIELDS or (field in _SIDE_FIELDS and len(set(value)) > 1):
            return "x".join(map(str, value))
        if field in _SIDE_FIELDS:
            return str(value[0])
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
