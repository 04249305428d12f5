"""Values that expressions produce, and the errors evaluating them can raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archdsl.diagnostics import Diagnostic, Span

if TYPE_CHECKING:
    from archdsl.ir import Value as Tensor


@dataclass(frozen=True, slots=True)
class Symbol:
    """A bare word that names nothing in scope, such as `same` or `global`.

    Whether it is a keyword value or a misspelt name is decided where it is
    used: an argument that accepts it takes it, anything else reports it.
    """

    name: str
    span: Span
    # The names visible where the word was written: suggestions come from there,
    # not from the block its value may have been passed into.
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Call:
    """A call that is data rather than computation (train sections only)."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    span: Span


@dataclass(slots=True, eq=False)
class Ref:
    """A name bound to a value of the graph (a tensor), as scopes hold it.

    `tensor` is None where an earlier error left the value unknown; uses stay
    silent. `used` is set by every mention of the name, so a value read only
    for its shape (`x.channels`) is not reported as unused.
    """

    name: str
    tensor: Tensor | None
    span: Span  # where the name was given
    used: bool = False
    warn: bool = True  # whether to warn when unused (labels name modules, not values)


Value = int | float | bool | str | tuple[int, ...] | list[Any] | Symbol | Call | Ref


class EvalError(Exception):
    """A user mistake found while evaluating; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class Poisoned(Exception):
    """The value depends on a shape an earlier error left unknown: stay silent."""


# Bound to a `let` whose value could not be computed: uses of it stay silent.
POISON = Symbol("<unknown>", Span("", 0, 0, 0, 0))


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return "a size"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Symbol):
        return f"the name `{value.name}`"
    if isinstance(value, Ref):
        return f"the value `{value.name}`"
    return "a call"


def show(value: Any) -> str:
    """A value as the user would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Symbol | Ref):
        return value.name
    if isinstance(value, float):
        return repr(value)
    return str(value)
