"""The VS Code extension's TextMate grammar classifies every token of every zoo spec.

The grammar's patterns are written in the subset of Oniguruma that Python's
`re` reads the same way, so this test tokenises as VS Code does: at each
position, the open context's `end` if it matches, else the first of its
patterns that matches wins; nothing but whitespace may be left unclassified.
The words of the language are read from its lark grammar, the ops from the
registry and the functions from the builtins, so a new one fails a test here
until the TextMate grammar knows it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest

from archdsl.elaborate.builtins import BUILTINS
from archdsl.ops.registry import OPS
from archdsl.syntax.highlight import KEYWORDS
from tests.helpers import ROOT, SPECS

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "arch.tmLanguage.json"
ZOO_FILES = sorted([*SPECS.glob("*.arch"), *SPECS.glob("lib/*.arch")])
Token = tuple[str, str]  # (scope, text)
Rule = dict[str, Any]  # one rule of the grammar's JSON


@cache
def grammar() -> dict[str, Any]:
    return cast("dict[str, Any]", json.loads(GRAMMAR.read_text()))


def resolve(rules: list[Rule]) -> list[Rule]:
    """`rules` with each `{"include": "#name"}` replaced by the repository's patterns."""
    out: list[Rule] = []
    for rule in rules:
        if "include" in rule:
            out += resolve(grammar()["repository"][rule["include"].removeprefix("#")]["patterns"])
        else:
            out.append(rule)
    return out


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def scoped(text: str, match: re.Match[str], rule: Rule, captures: dict[str, Rule]) -> list[Token]:
    """The tokens of one match: the rule's name, or its captured groups' (a group with
    `patterns` tokenised again with them, as TextMate does)."""
    if "name" in rule and "match" in rule:
        return [(rule["name"], match.group())]
    tokens: list[Token] = []
    covered = match.start()
    for group, capture in sorted(captures.items(), key=lambda kv: int(kv[0])):
        start, end = match.span(int(group))
        # Between captured groups only whitespace may stand unclassified.
        assert not text[covered:start].strip(), (text[covered:start], capture)
        if "patterns" in capture:
            tokens += tokenise(match.group(int(group)), capture["patterns"])
        else:
            tokens.append((capture["name"], match.group(int(group))))
        covered = end
    assert not text[covered : match.end()].strip()
    return tokens


def tokenise(text: str, rules: list[Rule] | None = None) -> list[Token]:
    """Scopes for every piece of `text`; raises at the first character no rule matches.

    A `begin`/`end` rule opens a context of its own patterns, which its `end`
    closes (tried first at each position, as an end wins a tie in VS Code)."""
    stack: list[tuple[list[Rule], re.Pattern[str] | None, Rule]] = [
        (resolve(grammar()["patterns"] if rules is None else rules), None, {})
    ]
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        inner, end, opened = stack[-1]
        if end is not None and (closed := end.match(text, pos)) is not None:
            tokens += scoped(text, closed, opened, opened.get("endCaptures", {}))
            stack.pop()
            pos = closed.end()
            continue
        for rule in inner:
            match = compiled(rule.get("match") or rule["begin"]).match(text, pos)
            if match is None or match.end() == pos:
                continue
            captures = rule.get("captures") or rule.get("beginCaptures", {})
            tokens += scoped(text, match, rule, captures)
            if "begin" in rule:
                stack.append((resolve(rule["patterns"]), compiled(rule["end"]), rule))
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
        ("variable.other.definition.arch", "a"),
        ("punctuation.separator.arch", ","),
        ("variable.other.definition.arch", "b"),
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


def test_a_definition_is_told_from_a_keyword_argument() -> None:
    """Inside a call's parentheses `name=` is a keyword, on whatever line it stands;
    outside them it defines a value, wherever the statement starts."""
    text = (
        "block b(c, k=3) { x = conv(c, 3x3,\n    stride=k) | y = x }\n"
        "model m { expect params = 1, output = [2]\n  output y }"
    )
    assert tokenise(text) == [
        ("storage.type.block.arch", "block"),
        ("entity.name.function.block.arch", "b"),
        ("punctuation.section.arch", "("),
        ("variable.other.arch", "c"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "k"),
        ("keyword.operator.assignment.arch", "="),
        ("constant.numeric.integer.arch", "3"),
        ("punctuation.section.arch", ")"),
        ("punctuation.section.arch", "{"),
        ("variable.other.definition.arch", "x"),
        ("keyword.operator.assignment.arch", "="),
        ("support.function.op.arch", "conv"),
        ("punctuation.section.arch", "("),
        ("variable.other.arch", "c"),
        ("punctuation.separator.arch", ","),
        ("constant.numeric.size.arch", "3x3"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "stride"),
        ("keyword.operator.assignment.arch", "="),
        ("variable.other.arch", "k"),
        ("punctuation.section.arch", ")"),
        ("punctuation.separator.branch.arch", "|"),
        ("variable.other.definition.arch", "y"),
        ("keyword.operator.assignment.arch", "="),
        ("variable.other.arch", "x"),
        ("punctuation.section.arch", "}"),
        ("storage.type.model.arch", "model"),
        ("entity.name.type.model.arch", "m"),
        ("punctuation.section.arch", "{"),
        ("keyword.control.arch", "expect"),
        ("variable.parameter.arch", "params"),
        ("keyword.operator.assignment.arch", "="),
        ("constant.numeric.integer.arch", "1"),
        ("punctuation.separator.arch", ","),
        ("variable.parameter.arch", "output"),
        ("keyword.operator.assignment.arch", "="),
        ("punctuation.section.arch", "["),
        ("constant.numeric.integer.arch", "2"),
        ("punctuation.section.arch", "]"),
        ("keyword.control.arch", "output"),
        ("variable.other.arch", "y"),
        ("punctuation.section.arch", "}"),
    ]


def test_scopes_of_named_values_in_the_zoo() -> None:
    tokens = tokenise((SPECS / "lib" / "shufflenet.arch").read_text())
    kept = tokens.index(("variable.other.definition.arch", "kept"))
    assert tokens[kept : kept + 16] == [
        ("variable.other.definition.arch", "kept"),
        ("punctuation.separator.arch", ","),
        ("variable.other.definition.arch", "rest"),
        ("keyword.operator.assignment.arch", "="),
        ("support.function.op.arch", "chunk"),
        ("punctuation.section.arch", "("),
        ("constant.numeric.integer.arch", "2"),
        ("punctuation.section.arch", ")"),
        ("variable.other.definition.arch", "changed"),
        ("keyword.operator.assignment.arch", "="),
        ("variable.other.arch", "rest"),
        ("keyword.operator.arrow.arch", "->"),
        ("variable.other.arch", "shuffle_branch"),
        ("punctuation.section.arch", "("),
        ("variable.other.arch", "rest"),
        ("punctuation.accessor.arch", "."),
    ]
    definitions = [text for scope, text in tokens if scope == "variable.other.definition.arch"]
    assert definitions == ["kept", "rest", "changed", "x", "left", "right"]
    keywords = {text for scope, text in tokens if scope == "variable.parameter.arch"}
    assert keywords == {"stride", "bias", "padding", "groups"}
    inception = tokenise((SPECS / "inception_v3.arch").read_text())
    assert [t for s, t in inception if s == "variable.parameter.arch"][:3] == [
        "params", "buffers", "macs",
    ]  # fmt: skip
    assert inception[-4:] == [
        ("variable.other.arch", "logits"),
        ("punctuation.separator.arch", ","),
        ("variable.other.arch", "aux"),
        ("punctuation.section.arch", "}"),
    ]


def _listed(scope: str) -> set[str]:
    rules = resolve(grammar()["repository"]["expression"]["patterns"])
    match = next(rule["match"] for rule in rules if rule.get("name") == scope)
    return set(match.removeprefix(r"\b(").removesuffix(r")\b").split("|"))


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
