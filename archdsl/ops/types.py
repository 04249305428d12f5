"""Argument types the ops share: sizes such as `3x3` and their bounds."""

from __future__ import annotations

from typing import Annotated, Any

from archdsl.ops.fields import AfterValidator, BeforeValidator


class OutOfBounds(ValueError):
    """A size of the right form whose sides are too small."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pair(value: Any) -> tuple[int, int]:
    if _is_int(value):
        return (value, value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value)):
        return (value[0], value[1])
    raise ValueError("must be a size like 3 or 3x3")


def _sides(value: Any) -> int | tuple[int, ...]:
    """One int (the same on every axis, whatever the input's rank) or 1 to 3 sides."""
    if _is_int(value):
        return int(value)
    if isinstance(value, list | tuple) and 1 <= len(value) <= 3 and all(map(_is_int, value)):
        return tuple(value)
    raise ValueError("must be a size like 3, 3x3 or 3x3x3")


def _at_least(low: int) -> Any:
    def check(value: int | tuple[int, ...]) -> int | tuple[int, ...]:
        if min(value if isinstance(value, tuple) else (value,)) < low:
            raise OutOfBounds(f"must be at least {low}")
        return value

    return check


Pair = Annotated[tuple[int, int], BeforeValidator(_pair), AfterValidator(_at_least(1))]
"""A 2-D size of at least 1 on each side: `3`, `3x3`, `1x7` or `[h, w]`."""

Size = Annotated[int | tuple[int, ...], BeforeValidator(_sides), AfterValidator(_at_least(1))]
"""A window size of at least 1 on each side: `3` (every axis), `1x7`, `3x3x3` or a list."""

Padding = Annotated[int | tuple[int, ...], BeforeValidator(_sides), AfterValidator(_at_least(0))]
"""A padding of at least 0 on each side, written as a `Size` is."""


def axes(value: int | tuple[int, ...], n: int) -> tuple[int, ...] | None:
    """`value` for an input with `n` spatial axes; None where it has another number of sides."""
    if isinstance(value, int):
        return (value,) * n
    return value if len(value) == n else None
