"""The VS Code extension's TextMate grammar classifies every token of every zoo spec.

The grammar's patterns are written in the subset of Oniguruma that Python's
`re` reads the same way, so this test tokenises as VS Code does: at each
position, the first pattern that matches wins (a pattern anchored at `^` may
take a line's indentation); nothing but whitespace may be left unclassified.
The words of the language are read from its lark grammar, the ops from the
registry and the functions from the builtins, so a new one fails a test here
until the TextMate grammar knows it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from archdsl.elaborate.builtins import BUILTINS
from archdsl.ops.registry import OPS
from archdsl.syntax.highlight import KEYWORDS
from tests.helpers import ROOT, SPECS

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "arch.tmLanguage.json"
ZOO_FILES = sorted([*SPECS.glob("*.arch"), *SPECS.glob("lib/*.arch")])
Token = tuple[str, str]  # (scope, text)


@cache
def patterns() -> list[tuple[re.Pattern[str], dict[str, str], str | None]]:
    grammar = json.loads(GRAMMAR.read_text())
    out = []
    for rule in grammar["patterns"]:
        captures = {k: v["name"] for k, v in rule.get("captures", {}).items()}
        out.append((re.compile(rule["match"], re.MULTILINE), captures, rule.get("name")))
    return out


def tokenise(text: str) -> list[Token]:
    """Scopes for every piece of `text`; raises at the first character no rule matches."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        for pattern, captures, name in patterns():
            match = pattern.match(text, pos)
            if match is None or match.end() == pos:
                continue
            if name is not None:
                tokens.append((name, match.group()))
            else:
                covered = pos
                for group, scope in sorted(captures.items(), key=lambda kv: int(kv[0])):
                    start, end = match.span(int(group))
                    # Between captured groups only whitespace may stand unclassified.
                    assert not text[covered:start].strip(), (text[covered:start], scope)
                    tokens.append((scope, match.group(int(group))))
                    covered = end
                assert not text[covered : match.end()].strip()
            pos = match.end()
            break
        else:
            if text[pos] in " \t\r\n\f":
                pos += 1
                continue
            line = text.count("\n", 0, pos) + 1
            raise AssertionError(f"no rule for {text[pos]!r} at line {line}")
    return tokens


@pytest.mark.parametrize("path", ZOO_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_every_token_of_the_zoo_is_classified(path: Path) -> None:
    tokens = tokenise(path.read_text())
    assert tokens
    assert all(scope.endswith(".arch") for scope, _ in tokens)
    assert not [t for t in tokens if t[0].startswith("invalid")]


def test_scopes_of_a_line() -> None:
    line = 'stem: conv(64, 7x7, stride=2, padding=same) -> relu  # the stem\nuse "lib.arch"'
    assert tokenise(line) == [
        ("entity.name.tag.label.arch", "stem"),
        ("punctuation.separator.label.arch", ":"),
        ("support.function.op.arch", "conv"),
        ("punctuation.section.arch", "("),
        ("constant.numeric.integer.arch", "64"),
        ("punctuation.separator.arch", ","),
        ("constant.numeric.size.arch", "7x7"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "stride"),
        ("keyword.operator.assignment.arch", "="),
        ("constant.numeric.integer.arch", "2"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "padding"),
        ("keyword.operator.assignment.arch", "="),
        ("variable.other.arch", "same"),
        ("punctuation.section.arch", ")"),
        ("keyword.operator.arrow.arch", "->"),
        ("support.function.op.arch", "relu"),
        ("comment.line.number-sign.arch", "# the stem"),
        ("keyword.control.arch", "use"),
        ("string.quoted.double.arch", '"lib.arch"'),
    ]


def test_declarations_sizes_and_numbers() -> None:
    scopes = dict((text, scope) for scope, text in tokenise(
        "block stage(w, n=1) { let c = in.channels }\nmodel m { scale(1.5e-3) 3x3x3 1_000 }"
    ))  # fmt: skip
    assert scopes["block"] == "storage.type.block.arch"
    assert scopes["stage"] == "entity.name.function.block.arch"
    assert scopes["m"] == "entity.name.type.model.arch"
    assert scopes["in"] == "variable.language.in.arch"
    assert scopes["channels"] == "variable.other.property.arch"
    assert scopes["1.5e-3"] == "constant.numeric.float.arch"
    assert scopes["3x3x3"] == "constant.numeric.size.arch"
    assert scopes["1_000"] == "constant.numeric.integer.arch"


def test_a_character_the_language_does_not_use_is_invalid() -> None:
    assert ("invalid.illegal.arch", "@") in tokenise("model m { @ }")


WRONG_FILES = sorted((ROOT / "tests" / "wrong_specs").glob("*.arch"))
# The wrong specs whose mistake is a character the language does not use.
ILLEGAL = {
    "syntax_no_break_space.arch": ["\xa0"],
    "syntax_non_ascii_name.arch": ["ö", "ß"],
    "syntax_single_quotes.arch": ["'", "'"],
    "syntax_stray_character.arch": ["$"],
}


@pytest.mark.parametrize("path", WRONG_FILES, ids=lambda p: p.name)
def test_every_token_of_a_wrong_spec_is_classified(path: Path) -> None:
    """Wrong specs too (named values among them); only a stray character is invalid."""
    tokens = tokenise(path.read_text())
    assert all(scope.endswith(".arch") for scope, _ in tokens)
    invalid = [text for scope, text in tokens if scope.startswith("invalid")]
    assert invalid == ILLEGAL.get(path.name, [])


def test_scopes_of_named_values() -> None:
    text = (
        "model m {\n  input image: [3, 8, 8]\n  a, b = chunk(2)\n  y = add(a, b)\n"
        "  c = conv(y.channels, 1x1, padding=same)\n  output c, a\n}"
    )
    assert tokenise(text) == [
        ("storage.type.model.arch", "model"),
        ("entity.name.type.model.arch", "m"),
        ("punctuation.section.arch", "{"),
        ("keyword.control.arch", "input"),
        ("variable.other.definition.arch", "image"),
        ("punctuation.separator.arch", ":"),
        ("punctuation.section.arch", "["),
        ("constant.numeric.integer.arch", "3"),
        ("punctuation.separator.arch", ","),
        ("constant.numeric.integer.arch", "8"),
        ("punctuation.separator.arch", ","),
        ("constant.numeric.integer.arch", "8"),
        ("punctuation.section.arch", "]"),
        ("variable.other.definition.arch", "a, b"),
        ("keyword.operator.assignment.arch", "="),
        ("support.function.op.arch", "chunk"),
        ("punctuation.section.arch", "("),
        ("constant.numeric.integer.arch", "2"),
        ("punctuation.section.arch", ")"),
        ("variable.other.definition.arch", "y"),
        ("keyword.operator.assignment.arch", "="),
        ("keyword.control.arch", "add"),
        ("punctuation.section.arch", "("),
        ("variable.other.arch", "a"),
        ("punctuation.separator.arch", ","),
        ("variable.other.arch", "b"),
        ("punctuation.section.arch", ")"),
        ("variable.other.definition.arch", "c"),
        ("keyword.operator.assignment.arch", "="),
        ("support.function.op.arch", "conv"),
        ("punctuation.section.arch", "("),
        ("variable.other.arch", "y"),
        ("punctuation.accessor.arch", "."),
        ("variable.other.property.arch", "channels"),
        ("punctuation.separator.arch", ","),
        ("constant.numeric.size.arch", "1x1"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "padding"),
        ("keyword.operator.assignment.arch", "="),
        ("variable.other.arch", "same"),
        ("punctuation.section.arch", ")"),
        ("keyword.control.arch", "output"),
        ("variable.other.arch", "c"),
        ("punctuation.separator.arch", ","),
        ("variable.other.arch", "a"),
        ("punctuation.section.arch", "}"),
    ]


def _listed(scope: str) -> set[str]:
    rule = next(p for p, _, name in patterns() if name == scope)
    return set(rule.pattern.removeprefix(r"\b(").removesuffix(r")\b").split("|"))


def test_the_grammar_knows_every_op_and_keyword() -> None:
    """A new op or keyword must be added to the grammar, or it would be a plain name."""
    assert _listed("support.function.op.arch") == set(OPS)
    assert _listed("keyword.control.arch") == set(KEYWORDS)


def language_words() -> set[str]:
    """Every word the lark grammar spells out as a terminal: the language's keywords."""
    from lark import Lark
    from lark.lexer import PatternStr

    grammar = Lark((ROOT / "archdsl" / "syntax" / "grammar.lark").read_text(), parser="lalr")
    return {
        t.pattern.value
        for t in grammar.terminals
        if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
    }


def test_every_word_of_the_language_is_classified() -> None:
    """Each keyword of the lark grammar, each op of the registry and each function of
    expressions, written alone or called, gets its own scope, never a plain name's."""
    words = language_words()
    assert {"block", "model", "input", "output", "add", "in", "true"} <= words  # read right
    for word in words:
        [(scope, text)] = tokenise(word)
        assert text == word and scope != "variable.other.arch", (word, scope)
    for op in OPS:
        scope, text = tokenise(f"{op}(1)")[0]
        expected = "keyword.control.arch" if op in words else "support.function.op.arch"
        assert (scope, text) == (expected, op)
    for function in BUILTINS:
        assert tokenise(f"{function}(1)")[0] == ("support.function.builtin.arch", function)


def test_the_extension_starts_the_language_server() -> None:
    package = json.loads((EXTENSION / "package.json").read_text())
    assert package["contributes"]["languages"][0]["extensions"] == [".arch"]
    assert package["contributes"]["grammars"][0]["path"] == "./syntaxes/arch.tmLanguage.json"
    assert package["contributes"]["configuration"]["properties"]["archdsl.command"]["default"] == [
        "archdsl", "lsp",
    ]  # fmt: skip
    assert '"lsp"' in (EXTENSION / "extension.js").read_text()
    json.loads((EXTENSION / "language-configuration.json").read_text())
