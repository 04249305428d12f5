"""Spec expressions as Python expressions over a class's parameters."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping
from dataclasses import replace

from archdsl.export.eject.helpers import BACKEND_HELPERS, HELPERS
from archdsl.export.eject.symbolic import simplify
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
# The spec's functions, as Python writes them: its own where Python has one, math's
# floor and ceil, and `divisible`, which the ejected file defines (helpers.py).
_FUNCTIONS = {
    **{f: f for f in ("min", "max", "abs", "round", "int", "float", "divisible")},
    "floor": "math.floor",
    "ceil": "math.ceil",
}


# Names the generated code itself uses in a constructor: its imports and helpers, its
# locals (`project2` too); E741's ambiguous letters besides.
_GENERATED = frozenset(
    {"self", "nn", "torch", "F", "OrderedDict", "layers", "project", "l", "O", "I", "math"}
    | set(HELPERS)
    | set(BACKEND_HELPERS)
)


def python_name(name: str) -> str:
    """A spec name as a safe Python parameter name.

    A keyword (`class`), a builtin (`range`, `super`) or a name the generated
    code uses gets a `_`; `_` itself, the placeholder of `for _ in range(n)`,
    becomes `_arg`; a name starting `__` is never mangled or special: `p__class__`.
    """
    if name == "_":
        return "_arg"
    if name.startswith("__"):
        return f"p{name}"
    unsafe = keyword.iskeyword(name) or hasattr(builtins, name) or name in _GENERATED
    if unsafe or re.fullmatch(r"project\d+", name):
        return f"{name}_"
    return name


def negate(expr: Expr) -> Expr:
    """`not x`, folded where it reads better (`a != b` for `not a == b`)."""
    if expr.negated is not None:
        return expr.negated
    folded = simplify(Expr(f"not {expr.wrap(NOT + 1)}", NOT, expr.uses))
    return replace(folded, negated=expr)


def conjoin(a: Expr | None, b: Expr) -> Expr:
    if a is None:
        return b
    return simplify(Expr(f"{a.wrap(AND)} and {b.wrap(AND)}", AND, a.uses | b.uses))


class Translator:
    """Translates within one body: `names` are its parameters, `lets` its `let`s so far.

    A name that is neither is a bare word such as `same`, and becomes a string.
    """

    def __init__(
        self,
        names: frozenset[str],
        lets: Mapping[str, Expr | None] | None = None,
        inputs: Mapping[str, Expr | None] | None = None,
    ) -> None:
        self.names = names
        self.lets = dict(lets or {})
        # `in.channels` and its kin: the input of the step being translated, where known.
        self.inputs = dict(inputs or {})
        # `x.channels` and its kin, by the name of the value.
        self.values: dict[str, dict[str, Expr | None]] = {}

    def scoped(self, names: frozenset[str] = frozenset()) -> Translator:
        """A copy for a nested body: its `let`s stay in it; `names` are added."""
        copy = Translator(self.names | names, self.lets, self.inputs)
        copy.values = self.values
        return copy

    def _list(self, expr: ast.ListExpr) -> Expr | None:
        """`[a, b]` as a tuple, its items kept; None where one has no Python equivalent."""
        items = [self(item) for item in expr.items]
        known = [i for i in items if i is not None]
        if len(known) != len(items):
            return None
        if all(i.literal for i in known):
            value = tuple(i.value for i in known)
            return Expr(python(value), literal=True, value=value, items=tuple(known))
        inner = ", ".join(i.code for i in known) + ("," if len(known) == 1 else "")
        uses = frozenset().union(*(i.uses for i in known))
        return Expr(f"({inner})", ATOM, uses, items=tuple(known))

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
        if isinstance(expr, ast.InAttr):
            return self.inputs.get(expr.attr)
        if isinstance(expr, ast.ValueAttr):
            return self.values.get(expr.name, {}).get(expr.attr)
        if isinstance(expr, ast.ListExpr):
            return self._list(expr)
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
            args = [self(a.value) for a in expr.args]
            known = [a for a in args if a is not None]
            if len(known) != len(args):
                return None
            inner = ", ".join(
                a.code if arg.name is None else f"{python_name(arg.name)}={a.code}"
                for arg, a in zip(expr.args, known, strict=True)
            )
            uses = frozenset().union(*(a.uses for a in known))
            return Expr(f"{_FUNCTIONS[expr.name]}({inner})", ATOM, uses)
        return None

    def _unary(self, expr: ast.UnaryOp) -> Expr | None:
        operand = self(expr.operand)
        if operand is None:
            return None
        if expr.op == "not":
            return negate(operand)
        return simplify(Expr(f"{expr.op}{operand.wrap(ATOM - 1)}", ATOM - 1, operand.uses))
