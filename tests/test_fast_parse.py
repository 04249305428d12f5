"""The fused parse loop (syntax/fast_parse.py) against lark's own driver.

The fast path must accept exactly what lark's driver and the post-lexer accept,
and build the same AST, spans included; on anything else it must give up (None)
so that lark's driver words the error. Each test parses a text both ways.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archdsl.syntax import ast
from archdsl.syntax.parser import _parser
from archdsl.syntax.postlex import TokenError
from tests.helpers import ROOT
from tests.test_fuzz import SPEC_PIECES, TOKEN

ALL_SPECS = sorted((ROOT / "specs").rglob("*.arch")) + sorted((ROOT / "tests").rglob("*.arch"))
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck))


def both(text: str) -> tuple[Any, Any]:
    """(the fast path's result, lark's result or the exception it raised)."""
    lark, builder, _, fast = _parser()
    builder.file = "t.arch"
    try:
        quick = fast.parse(text)
    except TokenError as err:  # a callback's refusal: the caller re-parses
        quick = None, err.message
    try:
        slow = lark.parse(text)
    except Exception as err:  # any refusal: compared below
        slow = err
    return quick, slow


def agree(text: str) -> Any:
    """Assert the two paths agree on `text`; the AST, or None where refused."""
    quick, slow = both(text)
    if isinstance(slow, Exception):
        assert quick is None or (isinstance(quick, tuple) and quick[0] is None), text
        return None
    assert isinstance(slow, ast.SourceFile)
    assert quick == slow, text
    return quick


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_spec_file(path: Path) -> None:
    agree(path.read_text())


def test_the_zoo_parses_on_the_fast_path() -> None:
    """The fast path is not just refusing everything: every zoo file is its work."""
    fast = _parser()[3]
    for path in sorted((ROOT / "specs").rglob("*.arch")):
        assert fast.parse(path.read_text()) is not None, path


def test_positions_of_tokens_after_blanks_comments_and_separators() -> None:
    text = "model m {  # note\r\n\tinput [3,\n  8, 8];  conv(4, 3x3) \\\n -> relu\n}\n"
    tree = agree(text)
    model = tree.models[0]
    stmts = model.body.stmts
    assert [type(s).__name__ for s in stmts] == ["InputStmt", "Chain"]
    conv, relu = stmts[1].steps
    assert (stmts[0].span.line, stmts[0].span.col, stmts[0].span.end_line) == (2, 2, 3)
    assert (conv.span.line, conv.span.col, conv.span.end_col) == (3, 11, 23)
    assert (relu.span.line, relu.span.col, relu.span.end_col) == (4, 5, 9)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment",
        "\n\n",
        "model m { input [4] }",
        "model m { input [4]; linear(2) }   ",
        "model m {\n input [4]\n linear(2)\n}\n\n\n",
        "model models { input [4]; input_x: linear(2, bias=true) }",
        'use "lib/x.arch"\nmodel m { input [4]; linear(1_000) }',
        "model m { input [4]; linear(" + "1" * 38 + ") }",
        "model m { input [4]; linear(" + "9" * 60 + ") }",
        "model m { input [4]; linear(2.5e400) }",
        "model m { input [4]; let a = 1 < 2 < 3 }",
        "model m { input [4]; let a = 1 if true else 2 }",
        "model m { input [4]\n  -> relu }",
        "model m { input [4] ] }",
        "model m { input [4) }",
        "model m { input [4]\nmodel n { input [2] }",
        "model m { input [" + "[" * 300 + "]" * 300 + "] }",
        "model m { input [4]; let a = " + "-" * 300 + "1 }",
        "model m { input [4]; linear(2) $ }",
        "model m { input [4]; linear(2) }\n}",
        "block b(x, y=2,) { linear(x) }\nmodel m { input [4]; b(3) }",
        "model m { input [4]; concat { | relu | linear(4) } }",
    ],
)
def test_edge_cases(text: str) -> None:
    agree(text)


@settings(FUZZ, max_examples=300)
@given(st.lists(st.sampled_from(SPEC_PIECES), max_size=40).map("".join))
def test_random_spec_like_text(text: str) -> None:
    agree("model m {\n  input [3, 8, 8]\n" + text + "\n}")


@settings(FUZZ, max_examples=200)
@given(st.text(max_size=120))
def test_random_text(text: str) -> None:
    agree(text)


@settings(FUZZ, max_examples=150)
@given(path=st.sampled_from(ALL_SPECS), seed=st.integers(0, 2**32 - 1))
def test_mangled_spec_files(path: Path, seed: int) -> None:
    """Tokens deleted, duplicated or swapped, and blanks resized, in real specs."""
    rnd = random.Random(seed)
    parts = TOKEN.findall(path.read_text())
    for _ in range(rnd.randint(0, 3)):
        if parts:
            i, j = rnd.randrange(len(parts)), rnd.randrange(len(parts))
            action = rnd.choice(["delete", "duplicate", "swap"])
            if action == "delete":
                del parts[i]
            elif action == "duplicate":
                parts.insert(i, parts[i])
            else:
                parts[i], parts[j] = parts[j], parts[i]
    text = re.sub(r" +", lambda _: " " * rnd.randint(1, 3), "".join(parts))
    agree(text)
