"""The VS Code extension's TextMate grammar classifies every token of every zoo spec.

The grammar's patterns are written in the subset of Oniguruma that Python's
`re` reads the same way, so this test tokenises as VS Code does: at each
position, the first pattern that matches wins; nothing but whitespace may be
left unclassified.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

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
        if text[pos] in " \t\r\n\f":
            pos += 1
            continue
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


def test_an_unknown_character_is_reported() -> None:
    with pytest.raises(AssertionError, match="no rule for '@'"):
        tokenise("model m { @ }")


def _listed(scope: str) -> set[str]:
    rule = next(p for p, _, name in patterns() if name == scope)
    return set(rule.pattern.removeprefix(r"\b(").removesuffix(r")\b").split("|"))


def test_the_grammar_knows_every_op_and_keyword() -> None:
    """A new op or keyword must be added to the grammar, or it would be a plain name."""
    assert _listed("support.function.op.arch") == set(OPS)
    assert _listed("keyword.control.arch") == set(KEYWORDS)


def test_the_extension_starts_the_language_server() -> None:
    package = json.loads((EXTENSION / "package.json").read_text())
    assert package["contributes"]["languages"][0]["extensions"] == [".arch"]
    assert package["contributes"]["grammars"][0]["path"] == "./syntaxes/arch.tmLanguage.json"
    assert package["contributes"]["configuration"]["properties"]["archdsl.command"]["default"] == [
        "archdsl", "lsp",
    ]  # fmt: skip
    assert '"lsp"' in (EXTENSION / "extension.js").read_text()
    json.loads((EXTENSION / "language-configuration.json").read_text())
