"""Expressions over a class's parameters, combined, substituted into and simplified.

An ejected class computes every argument from its own parameters, so widths,
conditions and defaults are built as expressions (`width * 4`, `stride != 1 or
in_channels != width * 4`) and simplified where their parts are known
(`2 * 1 != 1 * (3 - 1)` is False and drops out). Python's own parser and
unparser do the work: the code stays valid and parenthesised only where needed.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from archdsl.export.eject.template import ADD, AND, ATOM, COMPARE, MUL, NOT, OR, Expr, python
from archdsl.export.eject.tree import canonical

_PREC: dict[type[ast.AST], int] = {
    ast.IfExp: 0,
    ast.Compare: COMPARE,
    ast.Add: ADD,
    ast.Sub: ADD,
    ast.Mult: MUL,
    ast.Div: MUL,
    ast.FloorDiv: MUL,
    ast.Mod: MUL,
    ast.Pow: ATOM - 1,
}


def const(value: Any) -> Expr:
    value = canonical(value)
    return Expr(python(value), literal=True, value=value)


def simplify(expr: Expr, bindings: Mapping[str, Expr] | None = None) -> Expr:
    """`expr` with each name in `bindings` replaced by its expression, then folded."""
    if expr.literal or (not bindings and expr.prec == ATOM and expr.code.isidentifier()):
        return expr
    tree = ast.parse(expr.code, mode="eval").body
    if bindings:
        tree = _Substitute(bindings).visit(tree)
    return _expr(_fold(tree))


def combine(template: str, *parts: Expr) -> Expr:
    """`combine("{0} * {1}", a, b)`: the parts put in, parenthesised, then folded."""
    return simplify(Expr(template.format(*(f"({p.code})" for p in parts)), 0))


def join(separator: str, parts: Sequence[Expr]) -> Expr:
    """`a + b + c` for `join(" + ", [a, b, c])`, folded."""
    return combine(separator.join(f"{{{i}}}" for i in range(len(parts))), *parts)


def any_of(conditions: Sequence[Expr]) -> Expr:
    return join(" or ", conditions) if conditions else const(False)


def choose(condition: Expr, then: Expr, orelse: Expr) -> Expr:
    return combine("{0} if {1} else {2}", then, condition, orelse)


def is_false(expr: Expr) -> bool:
    return expr.literal and expr.value is False


def is_true(expr: Expr) -> bool:
    return expr.literal and expr.value is True


class _Substitute(ast.NodeTransformer):
    def __init__(self, bindings: Mapping[str, Expr]) -> None:
        self.bindings = bindings

    def visit_Name(self, node: ast.Name) -> ast.AST:
        bound = self.bindings.get(node.id)
        return ast.parse(bound.code, mode="eval").body if bound is not None else node


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _value(value: Any) -> ast.expr:
    return ast.parse(python(canonical(value)), mode="eval").body


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def _fold(node: ast.expr) -> ast.expr:
    """Evaluate what is known; keep the rest as written."""
    if isinstance(node, ast.BinOp):
        node.left, node.right = _fold(node.left), _fold(node.right)
        (lk, lv), (rk, rv) = _literal(node.left), _literal(node.right)
        if lk and rk and not isinstance(node.op, ast.Pow):
            try:
                return _value(_arith(node.op, lv, rv))
            except (ArithmeticError, TypeError):
                return node
        if isinstance(node.op, ast.Mult) and rk and rv == 1 and type(rv) is int:
            return node.left
        if isinstance(node.op, ast.Mult) and lk and lv == 1 and type(lv) is int:
            return node.right
        if isinstance(node.op, ast.Add | ast.Sub) and rk and rv == 0 and type(rv) is int:
            return node.left
        return node
    if isinstance(node, ast.UnaryOp):
        node.operand = _fold(node.operand)
        known, value = _literal(node.operand)
        if isinstance(node.op, ast.Not):
            if known:
                return ast.Constant(not value)
            if isinstance(node.operand, ast.UnaryOp) and isinstance(node.operand.op, ast.Not):
                return node.operand.operand
            compare = node.operand
            if isinstance(compare, ast.Compare) and len(compare.ops) == 1:
                compare.ops = [_INVERSE[type(compare.ops[0])]()]  # `not a == b`: `a != b`
                return compare
        elif known and isinstance(node.op, ast.USub) and type(value) in (int, float):
            return _value(-value)
        return node
    if isinstance(node, ast.Compare):
        node.left = _fold(node.left)
        node.comparators = [_fold(c) for c in node.comparators]
        if len(node.ops) == 1:
            (lk, lv), (rk, rv) = _literal(node.left), _literal(node.comparators[0])
            op = node.ops[0]
            if lk and rk:
                return ast.Constant(_compare(op, lv, rv))
            if _same(node.left, node.comparators[0]) and isinstance(op, ast.Eq | ast.NotEq):
                return ast.Constant(isinstance(op, ast.Eq))
        return node
    if isinstance(node, ast.BoolOp):
        is_or = isinstance(node.op, ast.Or)
        kept: list[ast.expr] = []
        values = [_fold(v) for v in node.values]
        if not is_or:
            values = _assume(values)
        for value in values:
            known, v = _literal(value)
            if known and isinstance(v, bool):
                if v == is_or:
                    return ast.Constant(is_or)  # `x or True`, `x and False`
                continue
            if not any(_same(value, k) for k in kept):
                kept.append(value)
        if not kept:
            return ast.Constant(not is_or)
        if len(kept) == 1:
            return kept[0]
        node.values = kept
        return node
    if isinstance(node, ast.IfExp):
        node.test, node.body, node.orelse = _fold(node.test), _fold(node.body), _fold(node.orelse)
        known, test = _literal(node.test)
        if known and isinstance(test, bool):
            return node.body if test else node.orelse
        if _same(node.body, node.orelse):
            return node.body
        return node
    if isinstance(node, ast.Call):
        node.args = [_fold(a) for a in node.args]
        return node
    if isinstance(node, ast.Tuple):
        node.elts = [_fold(e) for e in node.elts]
        return node
    return node


_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


_INVERSE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
}


def _assume(values: list[ast.expr]) -> list[ast.expr]:
    """In `i == 0 and X`, X may take i as 0: each `name == constant` is put into the others."""
    for i, value in enumerate(values):
        if (
            isinstance(value, ast.Compare)
            and len(value.ops) == 1
            and isinstance(value.ops[0], ast.Eq)
            and isinstance(value.left, ast.Name)
            and _literal(value.comparators[0])[0]
        ):
            known = {value.left.id: _expr(value.comparators[0])}
            values = [
                v if j == i else _fold(_Substitute(known).visit(v)) for j, v in enumerate(values)
            ]
    return values


def _arith(op: ast.operator, a: Any, b: Any) -> Any:
    if type(op) not in _ARITH:
        raise TypeError(type(op).__name__)
    return _ARITH[type(op)](a, b)


def _compare(op: ast.cmpop, a: Any, b: Any) -> bool:
    return bool(_COMPARE[type(op)](a, b))


def _expr(node: ast.expr) -> Expr:
    known, value = _literal(node)
    if known:
        return const(value)
    uses = frozenset(
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not _is_function(node, n)
    )
    return Expr(_unparse(node), _precedence(node), uses)


def _is_function(root: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(root))


def _precedence(node: ast.expr) -> int:
    if isinstance(node, ast.BoolOp):
        return OR if isinstance(node.op, ast.Or) else AND
    if isinstance(node, ast.UnaryOp):
        return NOT if isinstance(node.op, ast.Not) else ATOM - 1
    if isinstance(node, ast.BinOp):
        return _PREC.get(type(node.op), ATOM)
    return _PREC.get(type(node), ATOM)


def _unparse(node: ast.expr) -> str:
    """Python source with strings in double quotes, as `ruff format` writes them."""

    class Quote(ast.NodeTransformer):
        def visit_Constant(self, c: ast.Constant) -> ast.AST:
            return ast.Name(python(c.value)) if isinstance(c.value, str) else c

    return ast.unparse(Quote().visit(node))
