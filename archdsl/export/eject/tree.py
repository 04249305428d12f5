"""The model as a tree of constructor calls, every argument still a concrete value.

Leaves are canonical: a square size is one int and a list is a tuple, so two
arguments compare equal exactly when torch would build the same layer from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = Any  # int, float, bool, str or a tuple of them


def canonical(value: Value) -> Value:
    if isinstance(value, list | tuple):
        items = tuple(canonical(v) for v in value)
        if len(items) == 2 and items[0] == items[1] and type(items[0]) is int:
            return items[0]
        return items
    return value


def same(a: Value, b: Value) -> bool:
    """Equal and of the same type: True is not 1, 1.0 is not 1."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Slot:
    """One argument of a layer's constructor."""

    name: str
    value: Value
    positional: bool = False
    default: Value = None
    has_default: bool = False
    arg: str | None = None  # the spec's argument it comes from, if any


@dataclass(frozen=True)
class Layer:
    """A leaf module: `nn.Conv2d(...)` or one of the helper modules."""

    ctor: str
    slots: tuple[Slot, ...]
    stateful: bool
    span: Any = field(default=None, compare=False)  # where the spec calls the op


@dataclass(frozen=True)
class Wiring:
    """How values flow through a container that is no chain, by local variable names:
    the container's inputs, what each step reads and makes, and its outputs."""

    inputs: tuple[str, ...]
    reads: tuple[tuple[str, ...], ...]
    makes: tuple[tuple[str, ...], ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Seq:
    """Named steps in order: a model, a block's body, a group, a branch."""

    names: tuple[str, ...]
    steps: tuple[Tree, ...]
    stateful: bool
    # Where each step is written in the spec: the same step in every call of a block.
    keys: tuple[Any, ...] = field(default=(), compare=False)
    # None for a chain; else the data flow its class's forward is written from.
    wiring: Wiring | None = None


@dataclass(frozen=True)
class Res:
    body: Seq
    project: Seq | None
    in_channels: int
    out_channels: int
    stateful: bool


@dataclass(frozen=True)
class Merge:
    kind: str  # "concat", "add" or "mul"
    branches: tuple[Seq, ...]
    stateful: bool


@dataclass(frozen=True)
class Rep:
    copies: tuple[Tree, ...]
    stateful: bool
    span: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Call:
    """One call of a spec block: its environment and its expansion."""

    block: str
    env: tuple[tuple[str, Value], ...]
    body: Seq
    stateful: bool
    uid: int = field(compare=False)
    span: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Instance:
    """A block call once its class is known: the class and its arguments' values."""

    cls: str
    args: tuple[tuple[str, Value], ...]
    stateful: bool
    span: Any = field(default=None, compare=False)


Tree = Layer | Seq | Res | Merge | Rep | Call | Instance
