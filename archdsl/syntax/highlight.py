"""A Pygments lexer for .arch specs, for documentation and terminals.

Registered under the `pygments.lexers` entry point, so `pygmentize -l arch`,
Sphinx and MkDocs find it once archdsl is installed. The token rules follow
`grammar.lark`: the same keywords, and sizes (`3x3`) before floats before
integers. Op names come from the op registry, so a new op is highlighted
without touching this file.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from archdsl.ops.registry import OPS

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
KEYWORDS = (
    "use", "input", "output", "expect", "let", "residual", "project", "concat", "add",
    "mul", "repeat", "as", "if", "else",
)  # fmt: skip
FUNCTIONS = ("min", "max", "abs", "round", "floor", "ceil", "int", "float", "divisible")


def declares(what: Any) -> Any:
    """`block NAME`, `model NAME`, `train NAME`: the keyword and the name it declares."""
    return bygroups(Keyword.Declaration, Whitespace, what)


class ArchLexer(RegexLexer):
    """Lexer for archdsl's .arch architecture specs."""

    name = "archdsl"
    aliases: ClassVar[list[str]] = ["arch", "archdsl"]
    filenames: ClassVar[list[str]] = ["*.arch"]
    mimetypes: ClassVar[list[str]] = ["text/x-arch"]

    tokens: ClassVar[dict[str, list[Any]]] = {
        "root": [
            (r"[ \t\f]+|\r?\n|\\[ \t]*\r?\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"[^"\n]*"', String.Double),
            (rf"(block)(\s+)({IDENT})", declares(Name.Function)),
            (rf"(model|train)(\s+)({IDENT})", declares(Name.Class)),
            (r"train\b", Keyword.Declaration),
            (rf"(in)(\.)({IDENT})", bygroups(Name.Builtin.Pseudo, Punctuation, Name.Attribute)),
            (rf"({IDENT})([ \t]*)(:)", bygroups(Name.Label, Whitespace, Punctuation)),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(("and", "or", "not"), suffix=r"\b"), Operator.Word),
            (words(("true", "false"), suffix=r"\b"), Keyword.Constant),
            (words(tuple(sorted(OPS)), suffix=r"\b"), Name.Builtin),
            (words(FUNCTIONS, suffix=r"\b(?=\s*\()"), Name.Builtin),
            (rf"({IDENT})([ \t]*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (r"[0-9][0-9_]*(x[0-9][0-9_]*){1,2}(?![A-Za-z0-9_])", Number),
            (r"[0-9][0-9_]*(\.[0-9_]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)", Number.Float),
            (r"[0-9][0-9_]*", Number.Integer),
            (r"->|\*\*|//|==|!=|<=|>=|[<>*/%+\-=|]", Operator),
            (r"[()\[\]{},.;]", Punctuation),
            (IDENT, Name),
        ]
    }
