"""A Pygments lexer for .arch specs, for documentation and terminals.

Registered under the `pygments.lexers` entry point, so `pygmentize -l arch`,
Sphinx and MkDocs find it once archdsl is installed. The token rules follow
`grammar.lark`: the same keywords, and sizes (`3x3`) before floats before
integers. Op names come from the op registry, so a new op is highlighted
without touching this file.

Two states follow the brackets, as the grammar does: outside a call's
parentheses `NAME =` (and each name of `a, b =`) defines a value; inside
them (state `arguments`, pushed on `(`, popped on `)`) it is a keyword
argument, as it is after `expect`. A defined value, a value read as `x.`
and the names after `output` are `Name.Variable`; the attribute after the
dot is `Name.Attribute`, as a keyword argument's name is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, default, include, words
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
# What follows a defined name: more names, then `=` (not `==`).
DEFINED = rf"(?:[ \t]*,[ \t]*{IDENT})*[ \t]*=(?!=)"
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
            # `a, b = chunk(2)`: each name followed by `=`, or by `, name ... =`.
            (rf"{IDENT}(?={DEFINED})", Name.Variable),
            (r"output\b", Keyword, "outputs"),
            (r"expect\b", Keyword, "expect"),
            include("expression"),
        ],
        "arguments": [
            (r"\)", Punctuation, "#pop"),
            include("keyword_argument"),
            include("expression"),
        ],
        # `expect params = 1, macs = 2`: keywords, to the end of the statement
        # (a newline after a comma does not end it).
        "expect": [
            (r"(,)(\s*)", bygroups(Punctuation, Whitespace)),
            (r"\r?\n", Whitespace, "#pop"),
            (r"[;}]", Punctuation, "#pop"),
            include("keyword_argument"),
            include("expression"),
        ],
        "outputs": [
            (r"[ \t\f]+|\\[ \t]*\r?\n", Whitespace),
            (r"(,)(\s*)", bygroups(Punctuation, Whitespace)),
            (IDENT, Name.Variable),
            default("#pop"),
        ],
        "keyword_argument": [
            (rf"({IDENT})([ \t]*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
        ],
        "expression": [
            (r"[ \t\f]+|\r?\n|\\[ \t]*\r?\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"[^"\n]*"', String.Double),
            (rf"(block)(\s+)({IDENT})", declares(Name.Function)),
            (rf"(model|train)(\s+)({IDENT})", declares(Name.Class)),
            (r"train\b", Keyword.Declaration),
            (rf"(in)(\.)({IDENT})", bygroups(Name.Builtin.Pseudo, Punctuation, Name.Attribute)),
            (rf"({IDENT})(\.)({IDENT})", bygroups(Name.Variable, Punctuation, Name.Attribute)),
            # `input image: [3, 8, 8]`, `input x`, `let w = ...`, `repeat(n) as i`.
            (rf"(input|let|as)([ \t]+)({IDENT})", bygroups(Keyword, Whitespace, Name.Variable)),
            (rf"({IDENT})([ \t]*)(:)", bygroups(Name.Label, Whitespace, Punctuation)),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(("and", "or", "not"), suffix=r"\b"), Operator.Word),
            (words(("true", "false"), suffix=r"\b"), Keyword.Constant),
            (words(tuple(sorted(OPS)), suffix=r"\b"), Name.Builtin),
            (words(FUNCTIONS, suffix=r"\b(?=\s*\()"), Name.Builtin),
            (r"[0-9][0-9_]*(x[0-9][0-9_]*){1,2}(?![A-Za-z0-9_])", Number),
            (r"[0-9][0-9_]*(\.[0-9_]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)", Number.Float),
            (r"[0-9][0-9_]*", Number.Integer),
            (r"->|\*\*|//|==|!=|<=|>=|[<>*/%+\-=|]", Operator),
            (r"\(", Punctuation, "arguments"),
            (r"[)\[\]{},.:;]", Punctuation),
            (IDENT, Name),
        ],
    }
