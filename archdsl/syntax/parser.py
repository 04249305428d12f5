"""Text to AST, with syntax errors as diagnostics."""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from archdsl.collector import collector_paused
from archdsl.diagnostics import ArchError, Diagnostic, Span
from archdsl.syntax import ast
from archdsl.syntax.build_ast import AstBuilder
from archdsl.syntax.fast_parse import FastParser
from archdsl.syntax.lark_cache import cached_lark
from archdsl.syntax.postlex import NewlinePostLex, TokenError
from archdsl.syntax.syntax_errors import (
    KEYWORDS,
    describe_expected,
    describe_token,
    syntax_hint,
)

_GRAMMAR = Path(__file__).with_name("grammar.lark")
_lock = threading.Lock()


@cache
def _parser() -> tuple[Lark, AstBuilder, NewlinePostLex, FastParser]:
    builder = AstBuilder()
    postlex = NewlinePostLex()
    lark = cached_lark(
        _GRAMMAR.read_text(),
        parser="lalr",
        lexer="basic",
        postlex=postlex,
        propagate_positions=False,
        maybe_placeholders=False,
        transformer=builder,
    )
    return lark, builder, postlex, FastParser(lark)


def parse(text: str, file: str = "<string>") -> ast.SourceFile:
    """Parse one source file; raise ArchError carrying a syntax diagnostic."""
    lark, builder, postlex, fast = _parser()
    with _lock, collector_paused():
        builder.file = file
        try:
            # Well-formed text parses on the fast path; lark's own driver
            # parses the rest again, to word the error.
            result = fast.parse(text)
        except TokenError:  # a callback's refusal (`a < b < c`): worded below
            result = None
        try:
            if result is None:
                result = lark.parse(text)
        except TokenError as err:
            raise ArchError([_token_diagnostic(err, file)], {file: text}) from None
        except UnexpectedInput as err:
            diag = _syntax_diagnostic(err, file, text, postlex.open_bracket())
            raise ArchError([diag], {file: text}) from None
    assert isinstance(result, ast.SourceFile)
    return result


def _acceptable(err: UnexpectedToken | UnexpectedEOF) -> set[str]:
    """The tokens that could really come next.

    An LALR state's table (`err.expected`) also lists tokens that only a
    default reduction would later refuse; the interactive parser tries each.
    """
    parser = getattr(err, "interactive_parser", None)
    return set(parser.accepts()) if parser is not None else set(err.expected)


def _token_before(err: UnexpectedToken) -> Token | None:
    """The token the parser shifted last, if the top of its stack is one."""
    stack = err.interactive_parser.parser_state.value_stack
    return stack[-1] if stack and isinstance(stack[-1], Token) else None


def _token_span(tok: Token, file: str) -> Span:
    line, col = tok.line or 1, tok.column or 1
    end_line = tok.end_line or line
    end_col = tok.end_column or col + max(1, len(tok))
    return Span(file, line, col, end_line, end_col)


def _token_diagnostic(err: TokenError, file: str) -> Diagnostic:
    return Diagnostic(err.code, err.message, _token_span(err.token, file), help=err.help)


def _syntax_diagnostic(
    err: UnexpectedInput, file: str, text: str, open_bracket: Token | None
) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        char = text[pos] if pos < len(text) else "?"
        span = Span(file, err.line, err.column, err.line, err.column + 1)
        hint = None
        if char == '"':
            hint = "strings end on the line they start"
        elif char == "'":
            hint = 'strings use double quotes: "..."'
        elif char.isalnum():
            hint = "names are ASCII letters, digits and `_`"
        shown = f"`{char}`"
        if not char.isprintable() or (char.isspace() and char not in " \t"):
            # Invisible in the quoted line (a no-break space pasted from the web,
            # a control character): name it.
            name = unicodedata.name(char, "").lower()
            shown = f"U+{ord(char):04X}" + (f" ({name})" if name else "")
            hint = "delete it, or retype the text around it"
        return Diagnostic("syntax", f"unexpected character {shown}", span, help=hint)
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        tok = err.token
        before = _token_before(err)
        if tok.type == "_COLON" and before is not None and before.type in KEYWORDS:
            word = KEYWORDS[before.type]
            return Diagnostic(
                "syntax",
                f"`{word}` is a keyword and cannot be a label",
                _token_span(before, file),
                help=f"choose another label, e.g. `{word}_`",
            )
        expected = _acceptable(err)
        message = f"unexpected {describe_token(tok)}"
        want = describe_expected(expected)
        if want:
            message += f"; expected {want}"
        help = syntax_hint(tok, expected, open_bracket, before)
        return Diagnostic("syntax", message, _token_span(tok, file), help=help)
    # End of input: point just past the last character that is not blank.
    # Lines end at "\n" only, as the lexer counts them.
    written = text.rstrip()
    line = written.count("\n") + 1
    col = len(written) - (written.rfind("\n") + 1) + 1
    expected = _acceptable(err) if isinstance(err, UnexpectedToken | UnexpectedEOF) else set()
    want = describe_expected(expected)
    message = "unexpected end of file" + (f"; expected {want}" if want else "")
    return Diagnostic("syntax", message, Span(file, line, col, line, col + 1))
