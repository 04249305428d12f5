"""Binding a call's arguments to an op's fields, and wording what pydantic refuses."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.diagnostics.reasons import reason
from archdsl.elaborate.expr import DIVISION_HINT, Env, divides, evaluate, unknown_name
from archdsl.elaborate.values import EvalError, Poisoned, Ref, Symbol, show
from archdsl.ops import Op
from archdsl.ops.types import OutOfBounds
from archdsl.syntax import ast

if TYPE_CHECKING:
    from pydantic import ValidationError


class Bound:
    """Evaluated arguments by field name, with the span each came from."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.spans: dict[str, Span] = {}
        self.exprs: dict[str, ast.Expr] = {}


def bind(cls: type[Op], call: ast.Call, env: Env, errors: list[Diagnostic]) -> Bound | None:
    """Evaluate the call's arguments for op `cls`; None when any is wrong or unknown.

    Unknown argument names and surplus arguments were reported by the static
    pass, so they are skipped silently here.
    """
    names = cls.arg_names()
    bound = Bound()
    ok = True
    for i, arg in enumerate(call.args):
        field = arg.name if arg.name is not None else (names[i] if i < len(names) else None)
        if field is None or field not in names or field in bound.values:
            ok = False
            continue
        try:
            value = _accept_symbols(evaluate(arg.value, env), cls, field, call)
            if isinstance(value, Ref):
                raise EvalError(_value_as_argument(value, arg.value, cls, field, call))
        except EvalError as err:
            errors.append(err.diagnostic)
            ok = False
            continue
        except Poisoned:
            ok = False
            continue
        bound.values[field] = value
        bound.spans[field] = arg.value.span
        bound.exprs[field] = arg.value
    missing = [f for f in cls.required_args() if f not in bound.values]
    if missing and ok:
        listed = ", ".join(f"`{m}`" for m in missing)
        errors.append(
            Diagnostic(
                "arity",
                f"`{call.name}` needs {listed}",
                call.span,
                help=f"usage: {(cls.__doc__ or cls.name).splitlines()[0]}",
            )
        )
    return bound if ok and not missing else None


def literal_form(call: ast.Call) -> tuple[object, ...] | None:
    """The call's name and arguments where every argument is a literal: what `bind`
    makes of them is the same wherever they are written, so an op bound from them
    can be kept under this key. None where an argument is an expression, whose value
    may depend on the scope."""
    form: list[object] = [call.name]
    for arg in call.args:
        value = arg.value
        if type(value) is not ast.Literal:
            return None
        # The type too: `true` equals 1 and `1.0` equals 1, but they bind differently.
        form += (arg.name, type(value.value), value.value)
    return tuple(form)


def _accept_symbols(value: Any, cls: type[Op], field: str, call: ast.Call) -> Any:
    """Turn accepted bare words into strings; report any other as an unknown name."""
    if isinstance(value, Symbol):
        accepted = cls.symbols.get(field, ())
        if value.name in accepted:
            return value.name
        err = unknown_name(value, accepted)
        if not _within(value.span, call.span):
            # Written elsewhere and passed in through a block parameter: say where it went.
            used = Note(f"`{call.name}` receives it as `{field}`", call.span)
            err = EvalError(err.diagnostic.with_notes(used))
        raise err
    if isinstance(value, list):
        return [_accept_symbols(v, cls, field, call) for v in value]
    return value


# What an op's first argument means, where it is the op's width.
_WIDTHS = {
    "out_channels": "its width (output channels)",
    "out_features": "its width (output features)",
    "hidden": "its width (hidden features)",
}


def _value_as_argument(
    ref: Ref, expr: ast.Expr, cls: type[Op], field: str, call: ast.Call
) -> Diagnostic:
    """A value (a tensor) given where an op takes a number: a step reads the value
    flowing in, so say how to feed that value instead."""
    name = expr.id if isinstance(expr, ast.Name) else ref.name
    first = cls.arg_names()[0] == field
    meaning = _WIDTHS.get(field, "a number") if first else "a number"
    which = "first argument" if first else "argument"
    return Diagnostic(
        "argument",
        f"`{name}` is a value (a tensor), not a number: `{call.name}`'s {which} "
        f"`{field}` is {meaning}",
        expr.span,
        notes=(Note(f"`{name}` is made", ref.span),),
        help=f"a step takes the value flowing in; to feed `{name}` to `{call.name}`, "
        f"start from it: `{name} -> {call.name}(...)`",
    )


def _within(inner: Span, outer: Span) -> bool:
    start, end = (outer.line, outer.col), (outer.end_line, outer.end_col)
    return inner.file == outer.file and start <= (inner.line, inner.col) <= end


def validate(cls: type[Op], call: ast.Call, bound: Bound) -> tuple[Op | None, list[Diagnostic]]:
    key = (cls, _frozen(bound.values))
    made = _MADE.get(key)
    if made is not None:
        return made, []
    try:
        op = cls.model_validate(bound.values)
    except ValueError as exc:
        # Only a refusal imports pydantic: the ops check their arguments without it.
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        return None, _describe(cls, call, bound, exc)
    if len(_MADE) < _MAX_MADE:
        _MADE[key] = op
    return op, []


# Ops are frozen, so one instance serves every layer with the same arguments: a
# `repeat(99999) relu` validates one relu, not 99,999, and holds one in memory.
_MADE: dict[tuple[type[Op], Any], Op] = {}
_MAX_MADE = 4096


def _frozen(value: Any) -> Any:
    """A hashable key for evaluated arguments, typed so that `true` and `1` differ."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return (type(value), tuple(_frozen(v) for v in value))
    return (type(value), value)


# A string that would be a valid value without its quotes: `"3x3"`, `"true"`, `"0.5"`.
_LITERAL = re.compile(r"[0-9][0-9_]*(x[0-9][0-9_]*){0,2}|[0-9.]+([eE][+-]?[0-9]+)?|true|false")


def _describe(
    cls: type[Op], call: ast.Call, bound: Bound, exc: ValidationError
) -> list[Diagnostic]:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for err in exc.errors():
        by_field.setdefault(str(err["loc"][0]), []).append(dict(err))
    diags = []
    usage = f"usage: {(cls.__doc__ or cls.name).splitlines()[0]}"
    for field, errs in by_field.items():
        value = bound.values.get(field)
        span = bound.spans.get(field, call.span)
        why = _reason(cls, field, errs)
        hint = usage
        expr = bound.exprs.get(field)
        if isinstance(value, float) and expr is not None and divides(expr):
            hint = DIVISION_HINT
        elif isinstance(value, str) and _LITERAL.fullmatch(value):
            hint = f"write it without quotes: `{value}`"
        diags.append(
            Diagnostic(
                "argument",
                f"`{call.name}`: `{field}` {why}, got {show(value)}",
                span,
                help=hint,
            )
        )
    return diags


def _reason(cls: type[Op], field: str, errs: list[dict[str, Any]]) -> str:
    if len(errs) > 1:  # a union: a size out of bounds, or else say what the field accepts
        for err in errs:
            if isinstance(err.get("ctx", {}).get("error"), OutOfBounds):
                return str(err["ctx"]["error"])
        words = cls.symbols.get(field, ())
        alternatives = " or ".join(f"`{w}`" for w in words)
        return "must be a size like 3, 3x3 or 3x3x3" + (f", or {alternatives}" if words else "")
    return reason(errs[0])
