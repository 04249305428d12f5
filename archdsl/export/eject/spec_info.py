"""What the expanded IR forgets and a reader wants back, read from the spec's source:
the literal defaults of block parameters, and the condition of each `if` step.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from archdsl.diagnostics import Span
from archdsl.export.eject.template import ADD, AND, ATOM, COMPARE, MUL, NOT, OR, Expr, python
from archdsl.export.eject.tree import canonical
from archdsl.syntax import ast
from archdsl.syntax.parser import parse

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


@dataclass
class SpecInfo:
    # Each block's parameter defaults in Python: a literal, or an expression over
    # the parameters before it (`padding="same" if stride == 1 else "valid"`).
    defaults: dict[str, dict[str, Expr]] = field(default_factory=dict)
    # The condition, in Python, under which a step inside an `if` is taken, by its span.
    conditions: dict[Span, Expr] = field(default_factory=dict)


def python_name(name: str) -> str:
    """A spec name as a Python parameter: keywords and E741's ambiguous letters get a `_`."""
    if keyword.iskeyword(name) or name in {"self", "l", "O", "I", "nn", "torch", "F"}:
        return f"{name}_"
    return name


def spec_info(sources: dict[str, str]) -> SpecInfo:
    info = SpecInfo()
    for file, text in sources.items():
        for block in parse(text, file).blocks:
            defaults: dict[str, Expr] = {}
            earlier: set[str] = set()
            for param in block.params:
                if param.default is not None:
                    default = translate(param.default, symbols_beyond=frozenset(earlier))
                    if default is not None:
                        defaults[python_name(param.name)] = default
                earlier.add(param.name)
            info.defaults[block.name] = defaults
            _body(block.body, None, info.conditions)
    return info


def _body(body: ast.Body, cond: Expr | None, out: dict[Span, Expr]) -> None:
    for stmt in body.stmts:
        if isinstance(stmt, ast.Chain):
            if cond is not None:
                out[stmt.span] = cond
            for step in stmt.steps:
                _step(step, cond, out)


def _step(step: ast.Step, cond: Expr | None, out: dict[Span, Expr]) -> None:
    if cond is not None:
        out[step.span] = cond
    if isinstance(step, ast.If):
        test = translate(step.cond)
        if test is None:
            return  # a condition Python cannot say; the steps below go unexplained
        _body(step.then, _and(cond, test), out)
        if isinstance(step.orelse, ast.Body):
            _body(step.orelse, _and(cond, negate(test)), out)
        elif isinstance(step.orelse, ast.If):
            _step(step.orelse, _and(cond, negate(test)), out)
    elif isinstance(step, ast.Group):
        _body(step.body, cond, out)
    elif isinstance(step, ast.Residual):
        _body(step.body, cond, out)
        if step.project is not None:
            _body(step.project, cond, out)
    elif isinstance(step, ast.Parallel):
        for branch in step.branches:
            for stmt in branch.stmts:
                if isinstance(stmt, ast.Chain):
                    for inner in stmt.steps:
                        _step(inner, cond, out)
    elif isinstance(step, ast.Repeat):
        _step(step.body, cond, out)


def negate(expr: Expr) -> Expr:
    if expr.negated is not None:
        return expr.negated
    return Expr(f"not {expr.wrap(NOT + 1)}", NOT, expr.uses, negated=expr)


def _and(a: Expr | None, b: Expr) -> Expr:
    if a is None:
        return b
    return Expr(f"{a.wrap(AND)} and {b.wrap(AND)}", AND, a.uses | b.uses)


def translate(expr: ast.Expr, symbols_beyond: frozenset[str] | None = None) -> Expr | None:
    """A spec expression as Python, or None where Python has no plain equivalent.

    With `symbols_beyond`, a name not in it is a bare word such as `same`: a string.
    """
    if isinstance(expr, ast.Literal):
        return Expr(python(canonical(expr.value)), literal=True, value=canonical(expr.value))
    if isinstance(expr, ast.Name):
        if symbols_beyond is not None and expr.id not in symbols_beyond:
            return Expr(python(expr.id), literal=True, value=expr.id)
        name = python_name(expr.id)
        return Expr(name, uses=frozenset({name}))
    if isinstance(expr, ast.InAttr) and expr.attr in _IN:
        return Expr(_IN[expr.attr], uses=frozenset({_IN[expr.attr]}))
    if isinstance(expr, ast.UnaryOp):
        operand = translate(expr.operand, symbols_beyond)
        if operand is None:
            return None
        if expr.op == "not":
            return negate(operand)
        return Expr(f"{expr.op}{operand.wrap(ATOM - 1)}", ATOM - 1, operand.uses)
    if isinstance(expr, ast.BinOp) and expr.op in _BINARY:
        left = translate(expr.left, symbols_beyond)
        right = translate(expr.right, symbols_beyond)
        if left is None or right is None:
            return None
        prec = _BINARY[expr.op]
        # Left-associative: the right operand needs parentheses at equal precedence.
        code = f"{left.wrap(prec)} {expr.op} {right.wrap(prec + 1)}"
        return Expr(code, prec, left.uses | right.uses)
    if isinstance(expr, ast.CondExpr):
        parts = [translate(e, symbols_beyond) for e in (expr.then, expr.cond, expr.orelse)]
        if any(p is None for p in parts):
            return None
        then, cond, orelse = parts
        assert then is not None and cond is not None and orelse is not None
        code = f"{then.wrap(OR)} if {cond.wrap(OR)} else {orelse.wrap(OR)}"
        return Expr(code, 0, then.uses | cond.uses | orelse.uses)
    if isinstance(expr, ast.FuncCall) and expr.name in _FUNCTIONS:
        args = [translate(a.value, symbols_beyond) for a in expr.args if a.name is None]
        if len(args) != len(expr.args) or any(a is None for a in args):
            return None
        inner = ", ".join(a.code for a in args if a is not None)
        uses = frozenset().union(*(a.uses for a in args if a is not None))
        return Expr(f"{expr.name}({inner})", ATOM, uses)
    return None
