"""The markers an op's argument annotations carry: bounds and before/after functions.

They keep pydantic's names and keywords (`Field(ge=1)`, `BeforeValidator(f)`) so an
op reads as a pydantic model would, but importing them costs nothing: the ops check
their arguments themselves (checks.py) and translate these markers to pydantic's
only when an argument is refused and pydantic words the error (pydantic_model.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The bounds `Field` takes, in pydantic's keyword names.
BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length")


class Field:
    """Bounds on a number (`ge`, `gt`, `le`, `lt`) or on a length (`min_length`, `max_length`)."""

    __slots__ = BOUNDS

    def __init__(
        self,
        *,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length = min_length, max_length

    def given(self) -> dict[str, Any]:
        """The bounds set, by keyword."""
        return {name: value for name in BOUNDS if (value := getattr(self, name)) is not None}

    def __repr__(self) -> str:
        return f"Field({', '.join(f'{k}={v!r}' for k, v in self.given().items())})"


class BeforeValidator:
    """A function the raw value goes through before its type is checked; it raises
    ValueError to refuse the value."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class AfterValidator:
    """A function the value goes through once its type is checked; it raises
    ValueError to refuse the value."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
