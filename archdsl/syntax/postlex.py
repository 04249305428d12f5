"""Newline handling and bracket checks between the lexer and the parser.

A newline ends a statement only where a statement can end. This pass drops the
others (inside brackets, after an operator or `->`, before `}` or `|`), so the
grammar stays LALR(1) and a chain can run over several lines. It also reports
unbalanced brackets at the bracket itself, bounds nesting, so that no
input can drive the later, recursive stages past Python's stack, and refuses
numbers too large to compute with.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lark import Token

from archdsl.syntax.limits import MAX_BRACKET_DEPTH, MAX_INT_BITS, MAX_STATEMENT_NESTING

OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
CLOSERS = {close: open_ for open_, close in OPENERS.items()}
BRACKET_TEXT = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "LBRACE": "{"}
BRACKET_TEXT["RBRACE"] = "}"

# A newline after one of these continues the statement.
CONTINUES_AFTER = frozenset(
    {
        "LBRACE", "LPAR", "LSQB", "_COMMA", "_ARROW", "_EQUAL", "_COLON", "BAR",
        "PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "POW", "COMPARE",
        "AND", "OR", "NOT", "_NL",
    }
)  # fmt: skip
# A newline before one of these continues the statement.
CONTINUES_BEFORE = frozenset(
    {"RBRACE", "RPAR", "RSQB", "_ARROW", "BAR", "_ELSE", "_PROJECT", "_COMMA"}
)
# Tokens that deepen the parse tree without a bracket.
NESTING = frozenset(
    {"PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "POW", "COMPARE",
     "AND", "OR", "NOT", "REPEAT", "IF"}
)  # fmt: skip


class TokenError(Exception):
    """A token the parser must not see: an unbalanced or too deeply nested bracket,
    or a number too large; the parser turns it into a diagnostic."""

    def __init__(self, message: str, token: Token, help: str | None = None, code: str = "syntax"):
        super().__init__(message)
        self.message = message
        self.token = token
        self.help = help
        self.code = code  # "limit" where the input is well formed but too large


NUMBERS = frozenset({"INT", "FLOAT", "SIZE"})
# Enough decimal digits for any integer of MAX_INT_BITS bits; longer ones are not converted.
_MAX_DIGITS = len(str(2**MAX_INT_BITS))


def _check_number(tok: Token) -> None:
    """Refuse a literal too large to compute with, before anything converts it."""
    text = tok.replace("_", "")
    if tok.type == "FLOAT":
        too_large = not math.isfinite(float(text))
    else:
        sides = text.split("x")
        too_large = any(len(d) > _MAX_DIGITS or int(d).bit_length() > MAX_INT_BITS for d in sides)
    if too_large:
        bits = "" if tok.type == "FLOAT" else f" (over {MAX_INT_BITS} bits)"
        raise TokenError(f"number too large{bits}", tok, code="limit")


class NewlinePostLex:
    always_accept = ("_NL",)

    def __init__(self) -> None:
        self._stack: list[Token] = []

    def open_bracket(self) -> Token | None:
        """The innermost bracket still open where the last parse stopped."""
        return self._stack[-1] if self._stack else None

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[Token] = []
        self._stack = stack  # kept for the parser's error messages
        nesting = 0
        prev = "_NL"  # start of file behaves like a fresh line
        pending: Token | None = None
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if prev in CONTINUES_AFTER or (stack and stack[-1].type != "LBRACE"):
                    continue
                pending = tok
                continue
            if pending is not None:
                if kind not in CONTINUES_BEFORE:
                    yield pending
                    prev = "_NL"
                    nesting = 0
                pending = None
            if kind in OPENERS:
                stack.append(tok)
                if len(stack) > MAX_BRACKET_DEPTH:
                    raise TokenError(
                        f"brackets nest more than {MAX_BRACKET_DEPTH} deep",
                        tok,
                        help="split the spec into blocks",
                        code="limit",
                    )
                if kind == "LBRACE":
                    nesting = 0
            elif kind in CLOSERS:
                # A closer with no opener of its kind open is a stray, unless it
                # stands where a `)` or `]` is due: then it is likely a typo for that.
                if all(CLOSERS[kind] != t.type for t in stack) and (
                    not stack or stack[-1].type == "LBRACE"
                ):
                    raise TokenError(f"unmatched `{BRACKET_TEXT[kind]}`", tok, help="remove it")
                opener = stack.pop()
                if CLOSERS[kind] != opener.type:
                    want = BRACKET_TEXT[OPENERS[opener.type]]
                    raise TokenError(
                        f"mismatched `{BRACKET_TEXT[kind]}`: expected `{want}`",
                        tok,
                        help=f"close the `{BRACKET_TEXT[opener.type]}` opened at "
                        f"line {opener.line}, column {opener.column} first",
                    )
                if kind == "RBRACE":
                    nesting = 0
            elif kind in NUMBERS:
                _check_number(tok)
            elif kind in NESTING:
                nesting += 1
                if nesting > MAX_STATEMENT_NESTING:
                    raise TokenError(
                        f"statement nests more than {MAX_STATEMENT_NESTING} operators deep",
                        tok,
                        help="split it with `let` or into blocks",
                        code="limit",
                    )
            yield tok
            prev = kind
        if stack:
            opener = stack[-1]
            raise TokenError(
                f"unclosed `{BRACKET_TEXT[opener.type]}`",
                opener,
                help=f"add a matching `{BRACKET_TEXT[OPENERS[opener.type]]}`",
            )
        # A trailing newline before end of input is never needed.
