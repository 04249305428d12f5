"""An op's arguments checked without pydantic, accepting what pydantic's strict mode accepts.

`archdsl check` validates every op it elaborates; importing pydantic and building
its schemas would cost it more than the checking itself. So each argument's
annotation compiles into a small function that accepts what pydantic's strict
mode accepts and returns the value pydantic would: an int that is not a bool,
a float or an int (made a float), the choices of a Literal, lists and tuples
item by item, the markers of fields.py in their order.

A check only ever says yes (with the value) or `Refused`; where it refuses, or
meets a type it is not sure of (an int subclass, two members of a union that
both fit), pydantic decides, and words the error (pydantic_model.py). So a check
may refuse more than pydantic does, never less, and tests/test_op_checks.py
draws arguments to show that it accepts exactly what pydantic accepts, with
equal values.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from archdsl.ops.fields import AfterValidator, BeforeValidator, Field

Check = Callable[[Any], Any]


class Refused(Exception):
    """The value is not one the check is sure pydantic accepts."""


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    raise Refused


def _float(value: Any) -> float:
    if type(value) is float:
        return value
    if type(value) is int:  # strict mode takes an int for a float, and makes it one
        try:
            return float(value)
        except OverflowError:
            raise Refused from None
    raise Refused


def _exactly(kind: type) -> Check:
    def check(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise Refused

    return check


def _none(value: Any) -> None:
    if value is None:
        return None
    raise Refused


_SCALARS: dict[Any, Check] = {
    int: _int,
    float: _float,
    bool: _exactly(bool),
    str: _exactly(str),
    type(None): _none,
}


def compile_check(hint: Any) -> Check:
    """The check of an argument annotated `hint` (resolved, its markers included)."""
    origin = get_origin(hint)
    if origin is Annotated:
        check = compile_check(hint.__origin__)
        for marker in hint.__metadata__:
            check = _marked(check, marker)
        return check
    args = get_args(hint)
    if origin is Union or origin is types.UnionType:
        return _union([compile_check(arg) for arg in args])
    if origin is Literal:
        return _literal(args)
    if origin is list:
        return _list(compile_check(args[0]))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_of(compile_check(args[0]))
        return _tuple([compile_check(arg) for arg in args])
    if hint in _SCALARS:
        return _SCALARS[hint]
    raise TypeError(f"an op argument of type {hint!r} has no check: add one in checks.py")


def _marked(check: Check, marker: Any) -> Check:
    """`check` with a marker of fields.py applied after it, as pydantic applies
    `Annotated`'s metadata: each wraps what comes before."""
    if isinstance(marker, BeforeValidator):
        before = marker.func

        def check_before(value: Any) -> Any:
            try:
                value = before(value)
            except Exception:  # pydantic words it (or raises it again)
                raise Refused from None
            return check(value)

        return check_before
    if isinstance(marker, AfterValidator):
        after = marker.func

        def check_after(value: Any) -> Any:
            value = check(value)
            try:
                return after(value)
            except Exception:
                raise Refused from None

        return check_after
    if isinstance(marker, Field):
        return _bounded(check, marker)
    raise TypeError(f"an op argument's marker {marker!r} has no check: add one in checks.py")


_COMPARE = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _bounded(check: Check, field: Field) -> Check:
    given = field.given()
    values = [(_COMPARE[k], bound) for k, bound in given.items() if k in _COMPARE]
    least, most = given.get("min_length"), given.get("max_length")

    def check_bounds(value: Any) -> Any:
        value = check(value)
        # `not (value >= bound)`: a NaN is out of every bound, as pydantic has it.
        for compare, bound in values:
            if not compare(value, bound):
                raise Refused
        if least is not None and len(value) < least:
            raise Refused
        if most is not None and len(value) > most:
            raise Refused
        return value

    return check_bounds


def _union(checks: list[Check]) -> Check:
    def check_union(value: Any) -> Any:
        # Where several members fit, pydantic's smart union ranks them by how
        # exactly each fits: left to pydantic. The ops' unions are disjoint.
        fits = []
        for check in checks:
            try:
                fits.append(check(value))
            except Refused:
                continue
        if len(fits) != 1:
            raise Refused
        return fits[0]

    return check_union


def _literal(choices: tuple[Any, ...]) -> Check:
    kinds = frozenset(type(choice) for choice in choices)
    allowed = frozenset(choices)

    def check_literal(value: Any) -> Any:
        # The type first: a bool is not the int 1, and an unhashable value is no choice.
        if type(value) in kinds and value in allowed:
            return value
        raise Refused

    return check_literal


def _list(item: Check) -> Check:
    def check_list(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Refused
        return [item(v) for v in value]

    return check_list


def _tuple_of(item: Check) -> Check:
    def check_tuple_of(value: Any) -> tuple[Any, ...]:
        if type(value) is not tuple:
            raise Refused
        return tuple([item(v) for v in value])

    return check_tuple_of


def _tuple(items: list[Check]) -> Check:
    def check_tuple(value: Any) -> tuple[Any, ...]:
        if type(value) is not tuple or len(value) != len(items):
            raise Refused
        return tuple([item(v) for item, v in zip(items, value, strict=True)])

    return check_tuple


class ArgumentChecks:
    """An op class's arguments, checked all at once: `check(values)` is the fields
    pydantic would make of `values`, in field order, or None where it is not sure."""

    def __init__(self, hints: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self.fields = [
            (name, compile_check(hint), name in defaults, defaults.get(name))
            for name, hint in hints.items()
        ]

    def __call__(self, values: Any) -> dict[str, Any] | None:
        if type(values) is not dict:
            return None
        out: dict[str, Any] = {}
        given = 0
        try:
            for name, check, has_default, default in self.fields:
                if name in values:
                    out[name] = check(values[name])
                    given += 1
                elif has_default:
                    out[name] = default
                else:
                    return None
        except Refused:
            return None
        # An argument the op does not have: extra fields are forbidden.
        return out if given == len(values) else None
