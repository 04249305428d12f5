"""Expression evaluation: arithmetic on block parameters and the incoming shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from archdsl.diagnostics import Diagnostic, Span
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.elaborate.builtins import BUILTINS
from archdsl.elaborate.values import (
    POISON,
    Call,
    EvalError,
    Poisoned,
    Ref,
    Symbol,
    Value,
    show,
    type_name,
)
from archdsl.ops.shape_math import Shape, fmt_shape, numel
from archdsl.syntax import ast
from archdsl.syntax.limits import MAX_INT_BITS


@dataclass(slots=True)
class Env:
    """What an expression can see: names in scope and the incoming shape."""

    scope: dict[str, Value]
    shape: Shape | None = None  # None where an earlier error left it unknown
    has_shape: bool = True  # False outside a model's steps (train sections)
    config: bool = False  # train sections keep unknown calls and words as data


def error(message: str, span: Span, help: str | None = None, code: str = "value") -> EvalError:
    return EvalError(Diagnostic(code, message, span, help=help))


# ---- the incoming shape ---------------------------------------------------------


def _in_attr(node: ast.InAttr, env: Env) -> int | list[int]:
    if not env.has_shape:
        raise error("`in` is only defined inside a model's steps", node.span)
    if env.shape is None:
        raise Poisoned()
    return _shape_attr("in", node.attr, env.shape, node.span, node.attr_span)


def _value_attr(node: ast.ValueAttr, env: Env) -> int | list[int]:
    """`x.channels`: the shape of the named value `x`, as `in.*` reads the incoming one."""
    ref = env.scope.get(node.name)
    if not isinstance(ref, Ref):
        if ref is None:
            sym = Symbol(node.name, node.name_span, tuple(env.scope))
            raise unknown_name(sym)
        raise error(
            f"`{node.name}` is {type_name(ref)}, not a value with a shape",
            node.name_span,
            help=f"`.{node.attr}` reads the shape of a named value",
            code="type",
        )
    ref.used = True
    if ref.tensor is None:
        raise Poisoned()
    shape = ref.tensor.shape
    return _shape_attr(node.name, node.attr, shape, node.span, node.attr_span)


def _shape_attr(who: str, attr: str, shape: Shape, span: Span, attr_span: Span) -> int | list[int]:
    if attr == "shape":
        return list(shape)
    if attr == "features":
        return numel(shape)
    if attr == "channels":
        return shape[0]
    if attr in ("height", "width"):
        if len(shape) != 3:
            raise error(
                f"`{who}.{attr}` needs an image input [N, C, H, W], got {fmt_shape(shape)}",
                span,
                code="shape",
            )
        return shape[1] if attr == "height" else shape[2]
    raise error(
        f"`{who}` has no attribute `{attr}`",
        attr_span,
        help=did_you_mean(attr, IN_ATTRS) or f"`{who}` has {', '.join(IN_ATTRS)}",
        code="unknown-name",
    )


IN_ATTRS = ("channels", "height", "width", "features", "shape")


# ---- numbers ----------------------------------------------------------------------


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _checked(value: Any, span: Span) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise error(f"number too large (over {MAX_INT_BITS} bits)", span, code="limit")
    elif isinstance(value, float) and not math.isfinite(value):
        raise error("number is not finite", span)
    return value


def _power(a: Any, b: Any, span: Span) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        if b * max(1, abs(a).bit_length() - 1) > MAX_INT_BITS:
            raise error(f"number too large (over {MAX_INT_BITS} bits)", span, code="limit")
        return a**b
    if a == 0 and b < 0:
        raise error("division by zero: 0 to a negative power", span)
    try:
        result = float(a) ** float(b)
    except OverflowError:
        raise error("number too large", span, code="limit") from None
    if isinstance(result, complex):  # Python's answer for a negative base, fractional power
        raise error("a negative number to a fractional power is not a real number", span)
    return result


def _arith(op: str, a: Any, b: Any, node: ast.BinOp) -> Any:
    if not (_is_num(a) and _is_num(b)):
        raise error(
            f"`{op}` needs two numbers, got {type_name(a)} and {type_name(b)}",
            node.span,
            code="type",
        )
    if op in ("/", "//", "%") and b == 0:
        raise error("division by zero", node.right.span)  # the divisor is what is wrong
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        result = a / b
    elif op == "//":
        result = a // b
    elif op == "%":
        result = a % b
    else:
        result = _power(a, b, node.span)
    return _checked(result, node.span)


def _compare(op: str, a: Any, b: Any, node: ast.BinOp) -> bool:
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if not (_is_num(a) and _is_num(b)):
        raise error(
            f"`{op}` compares numbers, got {type_name(a)} and {type_name(b)}",
            node.span,
            code="type",
        )
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def _truth(value: Any, span: Span) -> bool:
    if isinstance(value, bool):
        return value
    raise error(f"expected true or false, got {type_name(value)}", span, code="type")


# ---- builtin functions ------------------------------------------------------------


def _call_builtin(node: ast.FuncCall, env: Env) -> Any:
    builtin = BUILTINS[node.name]
    args = [evaluate(a.value, env) for a in node.args if a.name is None]
    kwargs = {a.name: evaluate(a.value, env) for a in node.args if a.name is not None}
    wrong = builtin.bind(args, kwargs)
    if wrong is not None:
        raise error(
            f"`{node.name}` {wrong}",
            node.span,
            help=f"write `{builtin.signature(node.name)}`",
            code="argument",
        )
    for arg in (*args, *kwargs.values()):
        if not _is_num(arg):
            raise error(
                f"`{node.name}` takes numbers, got {type_name(arg)} `{show(arg)}`",
                node.span,
                code="type",
            )
    try:
        return _checked(builtin.fn(*args, **kwargs), node.span)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
        raise error(f"`{node.name}`: {exc}", node.span, code="type") from None


# ---- the evaluator ----------------------------------------------------------------


def evaluate(node: ast.Expr, env: Env) -> Value:
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env.scope:
            value = env.scope[node.id]
            if value is POISON:
                raise Poisoned()
            if isinstance(value, Ref):
                value.used = True
            return value
        return Symbol(node.id, node.span, tuple(env.scope))
    if isinstance(node, ast.InAttr):
        return _in_attr(node, env)
    if isinstance(node, ast.ValueAttr):
        return _value_attr(node, env)
    if isinstance(node, ast.ListExpr):
        return [evaluate(item, env) for item in node.items]
    if isinstance(node, ast.BinOp):
        return _binop(node, env)
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, env)
        if node.op == "not":
            return not _truth(require(value, node.operand.span, env), node.operand.span)
        require(value, node.operand.span, env)
        if not _is_num(value):
            raise error(f"`{node.op}` needs a number, got {type_name(value)}", node.span)
        return -value if node.op == "-" else value  # type: ignore[operator]
    if isinstance(node, ast.CondExpr):
        cond = require(evaluate(node.cond, env), node.cond.span, env)
        return evaluate(node.then if _truth(cond, node.cond.span) else node.orelse, env)
    return _func_call(node, env)


def _binop(node: ast.BinOp, env: Env) -> Value:
    op = node.op
    left = require(evaluate(node.left, env), node.left.span, env)
    if op in ("and", "or"):
        first = _truth(left, node.left.span)
        if first == (op == "or"):
            return first
        right = require(evaluate(node.right, env), node.right.span, env)
        return _truth(right, node.right.span)
    right = require(evaluate(node.right, env), node.right.span, env)
    if op in ("==", "!=", "<", "<=", ">", ">="):
        return _compare(op, left, right, node)
    return _arith(op, left, right, node)  # type: ignore[no-any-return]


def _func_call(node: ast.FuncCall, env: Env) -> Value:
    if env.config:
        args = tuple(evaluate(a.value, env) for a in node.args if a.name is None)
        kwargs = tuple((a.name, evaluate(a.value, env)) for a in node.args if a.name is not None)
        return Call(node.name, args, kwargs, node.span)
    if node.name in BUILTINS:
        return _call_builtin(node, env)  # type: ignore[no-any-return]
    raise error(
        f"unknown function `{node.name}`",
        node.name_span,
        help=did_you_mean(node.name, BUILTINS)
        or f"the functions are {', '.join(sorted(BUILTINS))}",
        code="unknown-name",
    )


DIVISION_HINT = "`/` divides to a fraction; use `//` for whole-number division"


def divides(node: ast.Expr) -> bool:
    """Whether an expression uses `/`, the likely source of a fraction where a whole
    number is wanted."""
    if isinstance(node, ast.BinOp):
        return node.op == "/" or divides(node.left) or divides(node.right)
    if isinstance(node, ast.UnaryOp):
        return divides(node.operand)
    if isinstance(node, ast.CondExpr):
        return divides(node.then) or divides(node.orelse)
    if isinstance(node, ast.FuncCall):
        return any(divides(a.value) for a in node.args)
    return False


def require(value: Value, span: Span, env: Env) -> Value:
    """The value, unless it is a word that names nothing: then say so."""
    if isinstance(value, Symbol) and not env.config:
        raise unknown_name(value)
    return value


# Words other languages spell with capitals (Python's True, False and None).
LOWER_CASE = {"True": "true", "False": "false", "TRUE": "true", "FALSE": "false"}


def unknown_name(sym: Symbol, accepted: tuple[str, ...] = ()) -> EvalError:
    if sym.name in LOWER_CASE:
        word = LOWER_CASE[sym.name]
        return error(
            f"unknown name `{sym.name}`",
            sym.span,
            help=f"did you mean `{word}`? (`true` and `false` are written in lower case)",
            code="unknown-name",
        )
    help = did_you_mean(sym.name, [*sym.scope, *accepted])
    if help is None and accepted:
        help = "this argument accepts " + ", ".join(f"`{a}`" for a in accepted)
    return error(f"unknown name `{sym.name}`", sym.span, help=help, code="unknown-name")
