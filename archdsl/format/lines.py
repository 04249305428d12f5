"""A spec's tokens, grouped into the lines they will be printed on.

The tokens come from the grammar's own lexer (`grammar.lark`), run without the
parser, with the whitespace and comments it otherwise ignores; so a terminal
added to the grammar reaches the formatter without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

from lark import Lark

from archdsl.syntax.lark_cache import cached_lark

_GRAMMAR = Path(__file__).resolve().parent.parent / "syntax" / "grammar.lark"
SEMICOLON = "_SEMI"  # a `;` kept between two statements on one line


class Tok(NamedTuple):
    kind: str  # the grammar's terminal name: NAME, LPAR, _ARROW, ...
    text: str


@dataclass
class Line:
    """One printed line: its tokens, its trailing comment, and how it meets the line above."""

    tokens: list[Tok] = field(default_factory=list)
    comment: str | None = None
    blank_before: bool = False  # one or more empty lines above it in the input
    backslash: bool = False  # continues the line above after a `\`
    gaps: list[int] = field(default_factory=list)  # the blanks written before each token


@cache
def _lexer() -> Lark:
    return cached_lark(_GRAMMAR.read_text(), parser="lalr", lexer="basic")


def source_lines(text: str) -> list[Line]:
    """The lines of `text`: the input's line breaks kept, each run of blank lines
    counted once, `;` dropped where a line break follows it anyway."""
    lines: list[Line] = []
    current = Line()
    newlines = 0  # line breaks since the last token that is kept
    semicolon = False  # a `;` since the last token that is kept
    gap = ""  # the blanks just before the current token

    def start_line(backslash: bool = False) -> None:
        nonlocal current, newlines, semicolon
        if current.tokens or current.comment is not None:
            lines.append(current)
        current = Line(blank_before=newlines >= 2, backslash=backslash)
        newlines, semicolon = 0, False

    for tok in _lexer().lex(text, dont_ignore=True):
        kind, value = tok.type, str(tok)
        blanks, gap = gap, ""
        if kind == "_NL":
            newlines += value.count("\n")
            semicolon |= ";" in value
        elif kind == "COMMENT":
            if newlines:
                start_line()
            current.comment = value.rstrip()
            semicolon = False  # a line break follows every comment
        elif kind.startswith("__IGNORE"):
            if "\n" in value:  # a `\` continuation: the statement goes on below
                start_line(backslash=True)
            else:
                gap = value
        else:
            if newlines:
                start_line()
            elif semicolon and current.tokens:
                current.tokens.append(Tok(SEMICOLON, ";"))
                current.gaps.append(0)
            semicolon = False
            current.gaps.append(len(blanks) if current.tokens else 0)
            current.tokens.append(Tok(kind, value))
    newlines = 0
    start_line()
    return lines
