"""A layer as its constructor call, argument by argument, and the canonical form of
values: a square size is one int and a list is a tuple, so two arguments compare
equal exactly when torch would build the same layer from them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Layer:
    """A leaf module: `nn.Conv2d(...)` or one of the helper modules."""

    ctor: str
    slots: tuple[Slot, ...]
