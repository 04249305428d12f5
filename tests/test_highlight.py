"""The Pygments lexer for .arch, and its use in `archdsl check`'s diagnostics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from archdsl.syntax.highlight import ArchLexer
from tests.helpers import EXIT_RETURNS, ROOT, SPECS

ZOO = sorted(SPECS.rglob("*.arch"))


def tokens(text: str) -> list[tuple[_TokenType, str]]:
    return [(t, v) for t, v in ArchLexer().get_tokens(text) if v.strip()]


@pytest.mark.parametrize("spec", ZOO, ids=[p.relative_to(SPECS).as_posix() for p in ZOO])
def test_zoo_specs_lex_without_errors(spec: Path) -> None:
    text = spec.read_text()
    lexed = list(ArchLexer(stripnl=False).get_tokens(text))
    assert [v for t, v in lexed if t in Error] == []
    assert "".join(v for _, v in lexed) == text + ("" if text.endswith("\n") else "\n")
    declared = [(v, lexed[i + 2]) for i, (t, v) in enumerate(lexed) if t == Keyword.Declaration]
    assert declared
    for keyword, (t, v) in declared:
        # `train { ... }` may leave out the model's name; every other declaration names one.
        assert t in (Name.Class, Name.Function) or (keyword, v) == ("train", "{"), (keyword, v)


def test_resnet_tokens() -> None:
    lexed = tokens((SPECS / "resnet50.arch").read_text())
    assert lexed[0] == (
        Comment.Single,
        "# ResNet-50 (He et al. 2015), torchvision's layout: the stride of a",
    )
    assert (Keyword, "use") in lexed
    assert (String.Double, '"lib/resnet.arch"') in lexed
    assert lexed[lexed.index((Keyword.Declaration, "model")) + 1] == (Name.Class, "resnet50")
    assert (Number.Integer, "25_557_032") in lexed
    assert (Name.Label, "layer4") in lexed
    assert (Name.Function, "bottleneck_stage") not in lexed  # a call, not a definition
    assert (Name, "bottleneck_stage") in lexed
    assert (Name.Attribute, "stride") in lexed
    assert (Name.Builtin, "avgpool") in lexed and (Name, "global") in lexed
    lib = tokens((SPECS / "lib" / "resnet.arch").read_text())
    assert lib[lib.index((Keyword.Declaration, "block")) + 1] == (Name.Function, "basic")
    assert (Keyword, "residual") in lib and (Keyword, "project") in lib
    assert (Keyword.Constant, "false") in lib
    assert (Number, "3x3") in lib and (Number, "1x1") in lib
    assert (Operator, "->") in lib


def test_every_construct() -> None:
    lexed = tokens(
        "block b(c, k=3) {\n"
        "  let w = in.channels * 2 ** 1 // 1 if c >= 2 and not false else max(c, 1)\n"
        "  repeat(2) as i { conv(w, k, padding=same) }\n"
        "  concat {\n    | identity\n    | avgpool(3x3, stride=1, padding=1) }\n"
        "}\n"
        "train m {\n  optimizer sgd(lr=1e-3, momentum=0.9)\n}\n"
    )
    assert (Name.Builtin.Pseudo, "in") in lexed
    assert (Name.Attribute, "channels") in lexed
    assert (Operator, "**") in lexed and (Operator, "//") in lexed and (Operator, ">=") in lexed
    assert (Operator.Word, "and") in lexed and (Operator.Word, "not") in lexed
    assert (Keyword, "if") in lexed and (Keyword, "else") in lexed and (Keyword, "as") in lexed
    assert (Keyword, "repeat") in lexed and (Keyword, "concat") in lexed
    assert (Keyword, "let") in lexed
    assert (Name.Builtin, "max") in lexed
    assert (Operator, "|") in lexed
    assert (Number.Float, "1e-3") in lexed and (Number.Float, "0.9") in lexed
    assert lexed[lexed.index((Keyword.Declaration, "train")) + 1] == (Name.Class, "m")
    assert (Punctuation, "{") in lexed
    assert all(t not in Error for t, _ in lexed)


NAMED = (
    "model m {\n"
    "  input image: [3, 8, 8]\n"
    "  expect params = 1,\n    output = [2]\n"
    "  skip = conv(64, 1x1, stride=2, padding=same)\n"
    "  a, b = chunk(2)\n"
    "  let width = image.channels * 2\n"
    "  y = add(a, b) -> conv(width, 3x3,\n    groups=skip.channels)\n"
    "  | z = y\n"
    "  output y, \\\n    b\n"
    "}\n"
)


def test_named_values_definitions_keywords_and_attributes() -> None:
    lexed = tokens(NAMED)
    assert lexed[3:6] == [(Keyword, "input"), (Name.Variable, "image"), (Punctuation, ":")]
    assert lexed[13:25] == [
        (Keyword, "expect"),
        (Name.Attribute, "params"),
        (Operator, "="),
        (Number.Integer, "1"),
        (Punctuation, ","),
        (Name.Attribute, "output"),  # a keyword of expect, on the next line
        (Operator, "="),
        (Punctuation, "["),
        (Number.Integer, "2"),
        (Punctuation, "]"),
        (Name.Variable, "skip"),
        (Operator, "="),
    ]
    assert lexed[25:37] == [
        (Name.Builtin, "conv"),
        (Punctuation, "("),
        (Number.Integer, "64"),
        (Punctuation, ","),
        (Number, "1x1"),
        (Punctuation, ","),
        (Name.Attribute, "stride"),
        (Operator, "="),
        (Number.Integer, "2"),
        (Punctuation, ","),
        (Name.Attribute, "padding"),
        (Operator, "="),
    ]
    assert lexed[37:44] == [
        (Name, "same"),
        (Punctuation, ")"),
        (Name.Variable, "a"),
        (Punctuation, ","),
        (Name.Variable, "b"),
        (Operator, "="),
        (Name.Builtin, "chunk"),
    ]
    let = lexed.index((Keyword, "let"))
    assert lexed[let : let + 6] == [
        (Keyword, "let"),
        (Name.Variable, "width"),
        (Operator, "="),
        (Name.Variable, "image"),
        (Punctuation, "."),
        (Name.Attribute, "channels"),
    ]
    y = lexed.index((Name.Variable, "y"))
    assert lexed[y : y + 8] == [
        (Name.Variable, "y"),
        (Operator, "="),
        (Keyword, "add"),
        (Punctuation, "("),
        (Name, "a"),  # a value read, not defined
        (Punctuation, ","),
        (Name, "b"),
        (Punctuation, ")"),
    ]
    # A keyword argument on a call's second line is still a keyword argument.
    groups = lexed.index((Name.Attribute, "groups"))
    assert lexed[groups - 1 : groups + 5] == [
        (Punctuation, ","),
        (Name.Attribute, "groups"),
        (Operator, "="),
        (Name.Variable, "skip"),
        (Punctuation, "."),
        (Name.Attribute, "channels"),
    ]
    # A definition after the call's `)` and in a parallel branch.
    assert lexed[groups + 5 : groups + 10] == [
        (Punctuation, ")"),
        (Operator, "|"),
        (Name.Variable, "z"),
        (Operator, "="),
        (Name, "y"),
    ]
    assert lexed[-6:] == [
        (Keyword, "output"),
        (Name.Variable, "y"),
        (Punctuation, ","),
        (Whitespace, "\\\n"),
        (Name.Variable, "b"),
        (Punctuation, "}"),
    ]
    assert all(t not in Error for t, _ in lexed)


def test_zoo_named_values() -> None:
    lib = tokens((SPECS / "lib" / "shufflenet.arch").read_text())
    kept = lib.index((Name.Variable, "kept"))
    assert lib[kept : kept + 12] == [
        (Name.Variable, "kept"),
        (Punctuation, ","),
        (Name.Variable, "rest"),
        (Operator, "="),
        (Name.Builtin, "chunk"),
        (Punctuation, "("),
        (Number.Integer, "2"),
        (Punctuation, ")"),
        (Name.Variable, "changed"),
        (Operator, "="),
        (Name, "rest"),
        (Operator, "->"),
    ]
    assert lib[kept + 12 : kept + 19] == [
        (Name, "shuffle_branch"),
        (Punctuation, "("),
        (Name.Variable, "rest"),
        (Punctuation, "."),
        (Name.Attribute, "channels"),
        (Punctuation, ")"),
        (Keyword, "concat"),
    ]
    x = lib.index((Keyword, "input"))
    assert lib[x : x + 10] == [
        (Keyword, "input"),
        (Name.Variable, "x"),
        (Name.Variable, "left"),
        (Operator, "="),
        (Name.Builtin, "conv"),
        (Punctuation, "("),
        (Name.Variable, "x"),
        (Punctuation, "."),
        (Name.Attribute, "channels"),
        (Punctuation, ","),
    ]
    assert (Name.Attribute, "groups") in lib and (Name.Variable, "groups") not in lib
    assert (Name.Variable, "right") in lib and (Name.Attribute, "right") not in lib
    # `stride=1`, a block's parameter with a default, stays a keyword.
    block = lib.index((Name.Function, "shuffle_branch"))
    assert lib[block : block + 7] == [
        (Name.Function, "shuffle_branch"),
        (Punctuation, "("),
        (Name, "out"),
        (Punctuation, ","),
        (Name.Attribute, "stride"),
        (Operator, "="),
        (Number.Integer, "1"),
    ]
    inception = tokens((SPECS / "inception_v3.arch").read_text())
    out = inception.index((Keyword, "output"))
    assert inception[out : out + 5] == [
        (Keyword, "output"),
        (Name.Variable, "logits"),
        (Punctuation, ","),
        (Name.Variable, "aux"),
        (Punctuation, "}"),
    ]
    expect = inception.index((Keyword, "expect"))
    assert [v for t, v in inception[expect:out] if t == Name.Attribute] == [
        "params", "buffers", "macs",
    ]  # fmt: skip
    assert not [v for t, v in inception if t == Name.Variable and v != "logits" and v != "aux"]


def test_registered_with_pygments() -> None:
    assert isinstance(get_lexer_by_name("arch"), ArchLexer)
    assert isinstance(get_lexer_for_filename("specs/resnet50.arch"), ArchLexer)


BAD = "model m {\n  input [3, 8, 8]\n  stem: conv(4, 9x9, bias=false) -> relu  # too big\n}\n"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROBE = (
    EXIT_RETURNS + "import sys\n"
    "from archdsl.cli import main\n"
    "sys.argv = ['archdsl', 'check', sys.argv[1]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "print('pygments' in sys.modules, code, file=sys.stdout)\n"
)


def probe(spec: Path, colour: bool) -> tuple[str, str]:
    """Run `archdsl check` in-process in a fresh interpreter: (stdout's last line, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    if colour:
        env["FORCE_COLOR"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return result.stdout.strip().splitlines()[-1], result.stderr


def test_check_colours_quoted_source_on_a_terminal(tmp_path: Path) -> None:
    spec = tmp_path / "bad.arch"
    spec.write_text(BAD)
    last, stderr = probe(spec, colour=True)
    assert last == "True 1"
    assert "\x1b[36mconv\x1b[0m" in stderr  # the op name in cyan
    assert "\x1b[1;34mstem\x1b[0m" in stderr  # the label
    assert "\x1b[2;3m# too big\x1b[0m" in stderr  # the comment
    plain = ANSI.sub("", stderr).splitlines()
    assert plain[2] == "3 |   stem: conv(4, 9x9, bias=false) -> relu  # too big"
    assert plain[3] == "  |         " + "^" * len("conv(4, 9x9, bias=false)")


def test_check_loads_no_pygments_unless_it_colours_a_diagnostic(tmp_path: Path) -> None:
    spec = tmp_path / "bad.arch"
    spec.write_text(BAD)
    last, stderr = probe(spec, colour=False)
    assert last == "False 1"
    assert "\x1b[" not in stderr
    assert "3 |   stem: conv(4, 9x9, bias=false) -> relu  # too big" in stderr
    last, _ = probe(SPECS / "resnet50.arch", colour=True)
    assert last == "False 0"
