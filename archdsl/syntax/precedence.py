"""Operator precedence, applied to the flat run of operands and operators that
the grammar's `operation` rule collects.

Written as ten nested grammar rules, precedence made every argument reduce
through ten single-child levels, the largest cost of parsing a long spec.
The grammar instead hands over `-a * b ** c < d and e` as one list, and this
module folds it into the same BinOp/UnaryOp tree those rules built, by
precedence climbing. Recursion is bounded: the post-lexer allows at most
MAX_STATEMENT_NESTING operators in a statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token

from archdsl.diagnostics import Span
from archdsl.syntax import ast
from archdsl.syntax.postlex import TokenError

# Binding strength, loosest first; `not` and the signs are prefixes.
OR, AND, NOT, COMPARE, SUM, PRODUCT, SIGN, POWER = range(1, 9)
BINARY = {
    "OR": OR, "AND": AND, "COMPARE": COMPARE, "PLUS": SUM, "MINUS": SUM,
    "STAR": PRODUCT, "SLASH": PRODUCT, "DSLASH": PRODUCT, "PERCENT": PRODUCT, "POW": POWER,
}  # fmt: skip


class Folder:
    """Folds one flat operation; `span_of` gives a token's or node's span."""

    def __init__(self, items: list[Any], span_of: Callable[[Any], Span]) -> None:
        self.items = items
        self.pos = 0
        self.span_of = span_of

    def _peek(self) -> Token | None:
        item = self.items[self.pos] if self.pos < len(self.items) else None
        return item if isinstance(item, Token) else None

    def fold(self) -> ast.Expr:
        return self._climb(OR)

    def _operand(self, level: int) -> ast.Expr:
        tok = self._peek()
        if tok is None:  # a value: the grammar puts one after every operator
            node: ast.Expr = self.items[self.pos]
            self.pos += 1
            return node
        self.pos += 1
        if tok.type == "NOT":
            if level > NOT:
                raise TokenError(
                    "`not` cannot stand inside an arithmetic or comparison operand",
                    tok,
                    help="put the `not ...` in parentheses",
                )
            operand = self._climb(NOT)  # `not a == b` is `not (a == b)`
            return ast.UnaryOp("not", operand, self.span_of(tok).to(operand.span))
        operand = self._climb(SIGN)  # `-a ** b` is `-(a ** b)`
        return ast.UnaryOp(str(tok), operand, self.span_of(tok).to(operand.span))

    def _climb(self, level: int) -> ast.Expr:
        left = self._operand(level)
        while (op := self._peek()) is not None and BINARY[op.type] >= level:
            strength = BINARY[op.type]
            self.pos += 1
            # `**` is right-associative and takes a signed operand (`2 ** -1`);
            # the others are left-associative.
            right = self._climb(SIGN if strength == POWER else strength + 1)
            left = ast.BinOp(str(op), left, right, left.span.to(right.span), self.span_of(op))
            if strength == COMPARE and (after := self._peek()) and after.type == "COMPARE":
                raise TokenError(
                    "comparisons do not chain",
                    after,
                    help="join two comparisons with `and`: `a < b and b < c`",
                )
        return left
