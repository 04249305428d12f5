"""The contract every op fulfils: arguments, shape rule, counts, torch module.

An op is a frozen object whose fields are its arguments, in positional order,
declared as annotated class attributes (`kernel: Size`, `stride: Size = 1`).
`model_validate` checks each argument's type and bounds as pydantic's strict
mode would, without importing pydantic (checks.py); pydantic is imported only to
word a refusal or to carry ops in JSON (pydantic_model.py). The rules that need
the incoming shape live in `output_shape`, which raises `ShapeError` naming the
argument at fault so the diagnostic points at it.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self, get_type_hints

from archdsl.ops.checks import ArgumentChecks
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


class Op:
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

    # Set per subclass from its annotations: every field in order (the `op` tag
    # included), the defaults of those that have one, the argument names in
    # positional order (no `op`), and the required ones.
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _arg_names: ClassVar[tuple[str, ...]] = ()
    _required: ClassVar[tuple[str, ...]] = ()
    # (name, required, default) of each argument: what `summary` prints.
    _arguments: ClassVar[tuple[tuple[str, bool, Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Names and defaults only, which costs nothing: the annotations are
        # resolved and compiled into checks when the class first validates.
        super().__init_subclass__(**kwargs)
        own = [
            name
            for name, hint in cls.__annotations__.items()  # its own (Python 3.10+)
            if not name.startswith("_") and not _is_class_var(hint)
        ]
        cls._fields = tuple(dict.fromkeys((*cls._fields, *own)))
        cls._defaults = {**cls._defaults, **{n: cls.__dict__[n] for n in own if n in cls.__dict__}}
        cls._arg_names = tuple(f for f in cls._fields if f != "op")
        cls._required = tuple(f for f in cls._arg_names if f not in cls._defaults)
        cls._arguments = tuple(
            (f, f not in cls._defaults, cls._defaults.get(f)) for f in cls._arg_names
        )

    @classmethod
    def arg_names(cls) -> tuple[str, ...]:
        """Argument names in positional order."""
        return cls._arg_names

    @classmethod
    def required_args(cls) -> tuple[str, ...]:
        return cls._required

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every field in the order JSON writes them, the `op` tag included."""
        return cls._fields

    @classmethod
    def defaults(cls) -> Mapping[str, Any]:
        """The default of each field that has one."""
        return cls._defaults

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Each field's annotation, resolved, with its markers (fields.py)."""
        return _field_types(cls)

    @classmethod
    def takes_values(cls) -> bool:
        """Whether its positional arguments are the values it joins, not its fields."""
        return cls.arity != (1, 1) and cls.arity != (0, 0)

    @classmethod
    def signature(cls) -> list[tuple[str, str | None]]:
        """Each argument in positional order, with its default as a spec writes it
        (None for a required one): what an editor offers after `conv(`."""
        out: list[tuple[str, str | None]] = []
        for name, required, default in cls._arguments:
            shown = "unset" if default is None else _fmt_value(default, name)
            out.append((name, None if required else shown))
        return out

    # ---- making one ----------------------------------------------------------
    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """The op with these arguments (a dict by field name), or pydantic's
        ValidationError saying what is wrong with them; an op is returned as is."""
        if isinstance(obj, cls):
            return obj
        return cls.trusted(_validated(cls, obj))

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "__dict__", _validated(type(self), values))

    @classmethod
    def trusted(cls, fields: dict[str, Any]) -> Self:
        """The op holding `fields`: every field, in order, already valid."""
        op = object.__new__(cls)
        object.__setattr__(op, "__dict__", fields)
        return op

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with some fields replaced, unchecked (eject puts expressions there)."""
        return self.trusted({**self.__dict__, **(update or {})})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: `{name}` cannot change")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: `{name}` cannot change")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """A pydantic model or TypeAdapter holding an op (or `AnyOp`: any op, told
        apart by its `op` tag) validates, dumps and describes it as the op's
        pydantic model would: see pydantic_model.py."""
        from archdsl.ops.pydantic_model import op_core_schema

        return op_core_schema(cls, handler)

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
        for field, required, default in self._arguments:
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


def _is_class_var(hint: Any) -> bool:
    # Op modules write their annotations as strings (`from __future__ import annotations`).
    text = hint if isinstance(hint, str) else repr(hint)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _field_types(cls: type[Op]) -> dict[str, Any]:
    types = _TYPES.get(cls)
    if types is None:
        hints = get_type_hints(cls, include_extras=True)
        types = _TYPES[cls] = {name: hints[name] for name in cls.field_names()}
    return types


_TYPES: dict[type[Op], dict[str, Any]] = {}


# Each op class's checks, compiled when it first validates: `check` pays only for
# the ops a spec uses.
_CHECKS: dict[type[Op], ArgumentChecks] = {}


def _validated(cls: type[Op], values: Any) -> dict[str, Any]:
    """The fields of op `cls` made of `values`, or pydantic's ValidationError."""
    checks = _CHECKS.get(cls)
    if checks is None:
        checks = _CHECKS[cls] = ArgumentChecks(cls.field_types(), cls.defaults())
    fields = checks(values)
    if fields is None:
        # Refused, or not surely accepted: pydantic decides, and words the error.
        from archdsl.ops.pydantic_model import validated_fields

        fields = validated_fields(cls, values)
    return fields


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
