"""Argument types the ops share: sizes such as `3x3` and their bounds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator


class OutOfBounds(ValueError):
    """A size of the right form whose sides are too small."""


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, bool):
        raise ValueError("must be a size like 3 or 3x3")
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, list | tuple) and len(value) == 2:
        h, w = value
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (h, w)):
            return (h, w)
    raise ValueError("must be a size like 3 or 3x3")


def _at_least(low: int) -> Any:
    def check(value: tuple[int, int]) -> tuple[int, int]:
        if min(value) < low:
            raise OutOfBounds(f"must be at least {low}")
        return value

    return check


Size = Annotated[tuple[int, int], BeforeValidator(_pair), AfterValidator(_at_least(1))]
"""A 2-D size of at least 1 on each side: `3`, `3x3`, `1x7` or `[h, w]`."""

Padding = Annotated[tuple[int, int], BeforeValidator(_pair), AfterValidator(_at_least(0))]
"""A 2-D padding of at least 0 on each side."""
