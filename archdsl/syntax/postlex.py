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


def number_too_large(text: str, kind: str) -> bool:
    """Whether a number literal is too large to compute with."""
    text = text.replace("_", "")
    if kind == "FLOAT":
        return not math.isfinite(float(text))
    sides = text.split("x")
    return any(len(d) > _MAX_DIGITS or int(d).bit_length() > MAX_INT_BITS for d in sides)


def _check_number(tok: Token) -> None:
    """Refuse a literal too large to compute with, before anything converts it."""
    if number_too_large(tok, tok.type):
        bits = "" if tok.type == "FLOAT" else f" (over {MAX_INT_BITS} bits)"
        raise TokenError(f"number too large{bits}", tok, code="limit")


# Keywords that start a definition: never inside braces.
TOP_LEVEL = frozenset({"_USE", "_BLOCK", "_MODEL", "TRAIN"})


class _Braces:
    """Which `{` a missing `}` belongs to, judged by indentation.

    Brackets pair up innermost first, so a forgotten `}` shows only where the
    file ends or a definition starts, far from the mistake. A `}` that starts a
    line indented less than the line of the `{` it closes most likely belongs
    further out: the `{` it closed is the one left open.
    """

    def __init__(self) -> None:
        self.line = 0
        self.indent = 0  # column of the first token of the current line
        self.first = False  # the token just seen starts its line
        self.indents: dict[int, int] = {}  # id of each open `{` token: its line's indent
        self.suspect: tuple[Token, Token] | None = None  # a `{` and the `}` that closed it

    def see(self, tok: Token) -> None:
        self.first = tok.line != self.line
        if self.first:
            self.line, self.indent = tok.line or 0, tok.column or 0

    def opened(self, tok: Token) -> None:
        if tok.type == "LBRACE":
            self.indents[id(tok)] = self.indent

    def closed(self, opener: Token, closer: Token) -> None:
        indent = self.indents.pop(id(opener), 0)
        if self.suspect is None and self.first and (closer.column or 0) < indent:
            self.suspect = (opener, closer)

    def unclosed(self, stack: list[Token], help: str) -> None:
        """Raise for the `{` most likely left open."""
        if self.suspect is not None:
            opener, closer = self.suspect
            help = (
                f"add its `}}`: the `}}` on line {closer.line} is indented "
                "like an outer block, so it closes that one"
            )
        else:
            opener = stack[-1]
        raise TokenError("unclosed `{`", opener, help=help)


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
        braces = _Braces()
        nesting = 0
        prev = "_NL"  # start of file behaves like a fresh line
        pending: Token | None = None
        for tok in stream:
            kind = tok.type
            braces.see(tok)
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
            if kind in TOP_LEVEL and braces.first and stack and stack[-1].type == "LBRACE":
                braces.unclosed(stack, f"add its `}}` before the `{tok}` on line {tok.line}")
            if kind in OPENERS:
                stack.append(tok)
                braces.opened(tok)
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
                    braces.closed(opener, tok)
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
            if opener.type == "LBRACE":
                braces.unclosed(stack, "add a matching `}`")
            raise TokenError(
                f"unclosed `{BRACKET_TEXT[opener.type]}`",
                opener,
                help=f"add a matching `{BRACKET_TEXT[OPENERS[opener.type]]}`",
            )
        # A trailing newline before end of input is never needed.
