"""Colours for a line of a spec quoted in a diagnostic, from the .arch lexer.

Imported only when a diagnostic is printed to a terminal that shows colour,
so `archdsl check` never loads Pygments otherwise.
"""

from __future__ import annotations

from functools import cache

from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    _TokenType,
    is_token_subtype,
)

from archdsl.syntax.highlight import ArchLexer

# The first entry a token type falls under gives its style.
TOKEN_STYLES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "dim italic"),
    (Keyword.Constant, "magenta"),
    (Keyword, "bold magenta"),
    (Operator.Word, "bold magenta"),
    (Name.Builtin, "cyan"),
    (Name.Function, "bold"),
    (Name.Class, "bold"),
    (Name.Label, "bold blue"),
    (Name.Attribute, "yellow"),
    (Number, "green"),
    (String, "green"),
)


@cache
def _lexer() -> ArchLexer:
    # Keep the text exactly as given, so the caret below still lines up.
    return ArchLexer(stripnl=False, ensurenl=False)


def style_of(token: _TokenType) -> str:
    for kind, style in TOKEN_STYLES:
        if is_token_subtype(token, kind):
            return style
    return ""


def highlight(line: str) -> list[tuple[str, str]]:
    """The line as (text, style) segments."""
    return [(value, style_of(token)) for token, value in _lexer().get_tokens(line)]
