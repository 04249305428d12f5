"""Newline handling and bracket checks between the lexer and the parser.

A newline ends a statement only where a statement can end. This pass drops the
others (inside brackets, after an operator or `->`, before `}` or `|`), so the
grammar stays LALR(1) and a chain can run over several lines. It also reports
unbalanced brackets at the bracket itself and bounds nesting, so that no
input can drive the later, recursive stages past Python's stack.
"""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token

from archdsl.syntax.limits import MAX_BRACKET_DEPTH, MAX_STATEMENT_NESTING

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


class BracketError(Exception):
    """An unbalanced or too deeply nested bracket; the parser turns it into a diagnostic."""

    def __init__(self, message: str, token: Token, help: str | None = None, note: str = ""):
        super().__init__(message)
        self.message = message
        self.token = token
        self.help = help
        self.note = note


class NewlinePostLex:
    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[Token] = []
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
                    raise BracketError(
                        f"brackets nest more than {MAX_BRACKET_DEPTH} deep",
                        tok,
                        help="split the spec into blocks",
                    )
                if kind == "LBRACE":
                    nesting = 0
            elif kind in CLOSERS:
                if not stack:
                    raise BracketError(f"unmatched `{BRACKET_TEXT[kind]}`", tok, help="remove it")
                opener = stack.pop()
                if CLOSERS[kind] != opener.type:
                    want = BRACKET_TEXT[OPENERS[opener.type]]
                    raise BracketError(
                        f"mismatched `{BRACKET_TEXT[kind]}`: expected `{want}`",
                        tok,
                        help=f"close the `{BRACKET_TEXT[opener.type]}` opened at "
                        f"line {opener.line}, column {opener.column} first",
                    )
                if kind == "RBRACE":
                    nesting = 0
            elif kind in NESTING:
                nesting += 1
                if nesting > MAX_STATEMENT_NESTING:
                    raise BracketError(
                        f"statement nests more than {MAX_STATEMENT_NESTING} operators deep",
                        tok,
                        help="split it with `let` or into blocks",
                    )
            yield tok
            prev = kind
        if stack:
            opener = stack[-1]
            raise BracketError(
                f"unclosed `{BRACKET_TEXT[opener.type]}`",
                opener,
                help=f"add a matching `{BRACKET_TEXT[OPENERS[opener.type]]}`",
            )
        # A trailing newline before end of input is never needed.
