"""Spec expressions as Python expressions over a class's parameters."""

from __future__ import annotations

import keyword
from collections.abc import Mapping

from archdsl.export.eject.template import ADD, AND, ATOM, COMPARE, MUL, NOT, OR, Expr, python
from archdsl.export.eject.tree import canonical
from archdsl.syntax import ast

_BINARY = {
    "or": OR,
    "and": AND,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), COMPARE),
    **dict.fromkeys(("+", "-"), ADD),
    **dict.fromkeys(("*", "/", "//", "%"), MUL),
    "**": ATOM - 1,
}
_FUNCTIONS = frozenset({"min", "max", "abs", "round", "int", "float"})
_IN = {"channels": "in_channels", "features": "in_features"}


def python_name(name: str) -> str:
    """A spec name as a Python parameter: keywords and E741's ambiguous letters get a `_`."""
    if keyword.iskeyword(name) or name in {"self", "l", "O", "I", "nn", "torch", "F"}:
        return f"{name}_"
    return name


def negate(expr: Expr) -> Expr:
    if expr.negated is not None:
        return expr.negated
    return Expr(f"not {expr.wrap(NOT + 1)}", NOT, expr.uses, negated=expr)


def conjoin(a: Expr | None, b: Expr) -> Expr:
    if a is None:
        return b
    return Expr(f"{a.wrap(AND)} and {b.wrap(AND)}", AND, a.uses | b.uses)


class Translator:
    """Translates within one body: `names` are its parameters, `lets` its `let`s so far,
    `block_input` the name a block's `input x` line gives its input.

    A name that is neither is a bare word such as `same`, and becomes a string.
    """

    def __init__(
        self,
        names: frozenset[str],
        lets: Mapping[str, Expr] | None = None,
        block_input: str | None = None,
    ) -> None:
        self.names = names
        self.lets = dict(lets or {})
        self.block_input = block_input

    def __call__(self, expr: ast.Expr) -> Expr | None:
        """The expression in Python, or None where Python has no plain equivalent."""
        if isinstance(expr, ast.Literal):
            value = canonical(expr.value)
            return Expr(python(value), literal=True, value=value)
        if isinstance(expr, ast.Name):
            if expr.id in self.lets:
                return self.lets[expr.id]
            if expr.id not in self.names:
                return Expr(python(expr.id), literal=True, value=expr.id)
            name = python_name(expr.id)
            return Expr(name, uses=frozenset({name}))
        named_input = isinstance(expr, ast.ValueAttr) and expr.name == self.block_input
        if (
            isinstance(expr, ast.InAttr | ast.ValueAttr)
            and expr.attr in _IN
            and (isinstance(expr, ast.InAttr) or named_input)
        ):
            return Expr(_IN[expr.attr], uses=frozenset({_IN[expr.attr]}))
        if isinstance(expr, ast.UnaryOp):
            return self._unary(expr)
        if isinstance(expr, ast.BinOp) and expr.op in _BINARY:
            left, right = self(expr.left), self(expr.right)
            if left is None or right is None:
                return None
            prec = _BINARY[expr.op]
            # Left-associative: the right operand needs parentheses at equal precedence.
            code = f"{left.wrap(prec)} {expr.op} {right.wrap(prec + 1)}"
            return Expr(code, prec, left.uses | right.uses)
        if isinstance(expr, ast.CondExpr):
            then, cond, orelse = self(expr.then), self(expr.cond), self(expr.orelse)
            if then is None or cond is None or orelse is None:
                return None
            code = f"{then.wrap(OR)} if {cond.wrap(OR)} else {orelse.wrap(OR)}"
            return Expr(code, 0, then.uses | cond.uses | orelse.uses)
        if isinstance(expr, ast.FuncCall) and expr.name in _FUNCTIONS:
            args = [self(a.value) for a in expr.args if a.name is None]
            if len(args) != len(expr.args) or any(a is None for a in args):
                return None
            inner = ", ".join(a.code for a in args if a is not None)
            uses = frozenset().union(*(a.uses for a in args if a is not None))
            return Expr(f"{expr.name}({inner})", ATOM, uses)
        return None

    def _unary(self, expr: ast.UnaryOp) -> Expr | None:
        operand = self(expr.operand)
        if operand is None:
            return None
        if expr.op == "not":
            return negate(operand)
        return Expr(f"{expr.op}{operand.wrap(ATOM - 1)}", ATOM - 1, operand.uses)
