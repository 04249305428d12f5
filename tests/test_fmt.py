"""`archdsl fmt`: the canonical layout. Idempotent, meaning-preserving, comments kept."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.format import format_text
from archdsl.ir import Program, describe
from archdsl.ops import OPS
from archdsl.syntax.syntax_errors import KEYWORDS
from tests.helpers import ROOT, SPECS, run_cli

ZOO_FILES = sorted([*SPECS.glob("*.arch"), *SPECS.glob("lib/*.arch")])
COMMENT = re.compile(r"#[^\n]*")


def meaning(program: Program) -> list[tuple[object, ...]]:
    """The IR without its spans: every node's path, op, shape and counts."""
    return [
        (node.path, describe(node), node.out_shape, node.params, node.buffers, node.macs)
        for model in program.models
        for node in model.root.walk()
    ]


def comments(text: str) -> list[str]:
    return [c.rstrip() for c in COMMENT.findall(text)]


# ---- exact layouts ------------------------------------------------------------------


def test_spacing_indentation_and_alignment() -> None:
    messy = (
        'use   "lib/resnet.arch"\n'
        "model   m{\n"
        "input [ 3,32 ,32 ]   # a comment\n"
        "expect params=1 , output = [10]\n"
        "\n\n\n"
        "stem :conv( 8,3x3 ,padding = 1 )->relu  # stem\n"
        "a_long_label:  { scale(-1) -> scale(2 * -3)\n"
        "}\n"
        "x:residual{relu}   # short\n"
        "head: flatten ->\n"
        "  linear(10)\n"
        "}\n"
        "train {\n"
        "data digits(val=0.2)\n"
        "epochs   3 ; batch 8\n"
        "}\n"
    )
    assert format_text(messy) == (
        'use "lib/resnet.arch"\n'
        "model m {\n"
        "  input [3, 32, 32]  # a comment\n"
        "  expect params = 1, output = [10]\n"
        "\n"
        "  stem: conv(8, 3x3, padding=1) -> relu  # stem\n"
        "  a_long_label: { scale(-1) -> scale(2 * -3)\n"
        "  }\n"
        "  x:    residual { relu }  # short\n"
        "  head: flatten ->\n"
        "      linear(10)\n"
        "}\n"
        "train {\n"
        "  data   digits(val=0.2)\n"
        "  epochs 3; batch 8\n"
        "}\n"
    )


def test_expressions_blocks_and_continuations() -> None:
    messy = (
        "block b(w,stride = 1,pad=same if stride==1 else valid) {\n"
        "let c=in.channels*2\n"
        "if  stride>1 and not(w<2) {conv(w,3x3,stride=stride)}\n"
        "else{ relu }\n"
        "repeat( 2 )as i scale(- i)\n"
        "conv(c, 1x1) \\\n"
        "  -> relu ; relu;\n"
        "residual {\nrelu\n} project {\nconv(c,\n1x1)\n}\n"
        "}\n"
    )
    assert format_text(messy) == (
        "block b(w, stride=1, pad=same if stride == 1 else valid) {\n"
        "  let c = in.channels * 2\n"
        "  if stride > 1 and not (w < 2) { conv(w, 3x3, stride=stride) }\n"
        "  else { relu }\n"
        "  repeat(2) as i scale(-i)\n"
        "  conv(c, 1x1) \\\n"
        "      -> relu; relu\n"
        "  residual {\n    relu\n  } project {\n    conv(c,\n        1x1)\n  }\n"
        "}\n"
    )


def test_a_branch_continues_on_the_lines_below_it() -> None:
    messy = (
        "block se(c) {\n  mul {\n  | identity\n| avgpool(global) -> conv(c, 1x1)\n"
        "sigmoid\n  }\n  relu\n}\n"
    )
    assert format_text(messy) == (
        "block se(c) {\n  mul {\n    | identity\n    | avgpool(global) -> conv(c, 1x1)\n"
        "      sigmoid\n  }\n  relu\n}\n"
    )


def test_tables_right_align_numbers_and_left_align_words() -> None:
    text = "model t {\n  input [4]\n  f(3,  16, false, 1)\n  f(5, 120, true, 2)\n}\n"
    assert format_text(text) == (
        "model t {\n  input [4]\n  f(3,  16, false, 1)\n  f(5, 120, true,  2)\n}\n"
    )


def test_tables_the_author_padded_stay_tables() -> None:
    text = "model t {\n  input [4]\n  f(1,  20, 3)\n  f(100, 2, 300)\n}\n"
    assert format_text(text) == ("model t {\n  input [4]\n  f(1,  20,   3)\n  f(100, 2, 300)\n}\n")
    # Written without padding, the same lines are not a table.
    plain = "model t {\n  input [4]\n  f(1, 20, 3)\n  f(100, 2, 300)\n}\n"
    assert format_text(plain) == plain
    # The padding of aligned labels does not make a table either.
    labelled = "model t {\n  input [4]\n  a: f(1, 20)\n  bbb: f(100, 2)\n}\n"
    aligned = "model t {\n  input [4]\n  a:   f(1, 20)\n  bbb: f(100, 2)\n}\n"
    assert format_text(labelled) == aligned
    assert format_text(aligned) == aligned


def test_a_trailing_comma_stays_with_its_cell_in_a_table() -> None:
    """A comma before a closer starts no column: as its own cell, the `]` was parted
    from `0.5,` by a space that the next pass, finding no table, took away."""
    text = "model t {\n  input [4]\n  let a = [1,  2 ,]\n  let b = [10, 20,]\n}\n"
    once = format_text(text)
    assert once == "model t {\n  input [4]\n  let a = [1,   2,]\n  let b = [10, 20,]\n}\n"
    assert format_text(once) == once
    block = "block b(x, y = 0  or [ 0.5 ,], z){}\n"
    once = format_text(block * 2)
    assert once == "block b(x, y=0 or [0.5,], z) {}\n" * 2
    assert format_text(once) == once


def test_a_syntax_error_is_refused_with_its_place() -> None:
    with pytest.raises(ArchError) as caught:
        format_text("model m {\n  conv(8,, 3x3)\n}\n", "bad.arch")
    [diag] = caught.value.diagnostics
    assert diag.span is not None and (diag.span.line, diag.span.col) == (2, 10)


# ---- the zoo ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ZOO_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_zoo_is_formatted(path: Path) -> None:
    text = path.read_text()
    assert format_text(text, path.name) == text


def test_fmt_check_passes_on_the_zoo() -> None:
    result = run_cli("fmt", "--check", "specs")
    assert result.returncode == 0, result.stderr
    assert f"{len(ZOO_FILES)} files: would reformat 0, 0 with errors" in result.stderr


# Messy but valid variants of every zoo spec: every run of spaces resized,
# spaces added inside brackets and around commas, blank lines doubled.
@pytest.mark.parametrize("path", ZOO_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
@settings(deadline=None, max_examples=4, suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms())
def test_zoo_mangled_formats_back_to_the_same_meaning(path: Path, rnd: random.Random) -> None:
    text = path.read_text()
    lines = []
    for line in text.split("\n"):
        head, hash_, tail = line.partition("#")
        head = re.sub(r" +", lambda _: " " * rnd.randint(1, 3), head)
        head = re.sub(r"([(\[,])", lambda m: m.group(1) + " " * rnd.randint(0, 2), head)
        head = re.sub(r"([)\]])", lambda m: " " * rnd.randint(0, 2) + m.group(1), head)
        lines.append(" " * rnd.randint(0, 4) + head.strip() + (" " + hash_ + tail if hash_ else ""))
        if not line.strip() and rnd.random() < 0.5:
            lines.append("")
    mangled = "\n".join(lines)
    once = format_text(mangled, path.name)  # raises if the AST changed
    assert format_text(once, path.name) == once
    assert comments(once) == comments(text)
    if path.parent == SPECS:  # a library has no model, so no IR of its own
        assert meaning(_load_beside(once, path)) == meaning(archdsl.load(path))


def _load_beside(text: str, path: Path) -> Program:
    """Load `text` as if it were `path`, so its `use` lines resolve."""
    from archdsl.elaborate.program import elaborate
    from archdsl.syntax.imports import load_unit

    unit = load_unit(text, path.name, path)
    program, diags = elaborate(unit, None)
    assert not [d for d in diags if d.severity.value == "error"], diags
    return program


# ---- generated specs ----------------------------------------------------------------

CONV = st.builds(
    lambda c, k, s: [
        "conv",
        "(",
        str(c),
        ",",
        f"{k}x{k}",
        ",",
        "stride",
        "=",
        str(s),
        ",",
        "padding",
        "=",
        "same" if s == 1 else "1",
        ")",
    ],
    st.integers(1, 300),
    st.sampled_from([1, 3]),
    st.sampled_from([1, 2]),
)
STEPS = st.one_of(
    st.just(["relu"]),
    st.just(["batchnorm"]),
    CONV,
    st.builds(lambda v: ["scale", "(", "-", str(v), ")"], st.integers(1, 9)),
    st.builds(lambda n: ["repeat", "(", str(n), ")", "relu"], st.integers(1, 3)),
    st.just(["residual", "{", "relu", "->", "batchnorm", "}"]),
    st.just(["concat", "{", "|", "relu", "|", "scale", "(", "2", "*", "3", ")", "}"]),
)  # fmt: skip
LABEL = st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True))
STATEMENT = st.tuples(LABEL, st.lists(STEPS, min_size=1, max_size=4))
RESERVED = frozenset(KEYWORDS.values())
WORDY = re.compile(r"[\w\"]")


@st.composite
def spec_texts(draw: st.DrawFn) -> str:
    """A valid spec, spaced, broken and commented at random where the syntax allows."""
    statements = draw(st.lists(STATEMENT, min_size=1, max_size=6))
    if draw(st.booleans()):  # lines of one shape, which the author may space as a table
        statements = [(label, [draw(CONV)]) for label, _ in statements]
    labels = [label for label, _ in statements if label]
    if len(set(labels)) != len(labels) or any(
        label in RESERVED or label in OPS for label in labels
    ):
        labels.clear()
    out = ["model", "g", "{", "\n", "input", "[", "4", ",", "16", ",", "16", "]", "\n"]
    for label, steps in statements:
        if label and labels:
            out += [label, ":"]
        for i, step in enumerate(steps):
            if i:
                out.append("->")
            out += step
        if draw(st.booleans()):
            out.append("# note " + draw(st.from_regex(r"[a-z ]{0,12}", fullmatch=True)))
        out.append("\n" * draw(st.integers(1, 3)))
    out.append("}")
    text = ""
    for prev, tok in zip(["\n", *out], out, strict=False):
        if tok.startswith("\n") or prev.startswith("\n") or tok.startswith("#"):
            gap = " " if tok.startswith("#") else ""
        elif prev == "->" and draw(st.integers(0, 5)) == 0:
            gap = "\n" + " " * draw(st.integers(0, 6))  # a chain continued below
        else:
            least = 1 if WORDY.match(prev[-1]) and WORDY.match(tok[0]) else 0
            gap = draw(st.sampled_from([" ", "  ", "\t", "   "])) if least else ""
            gap = gap if least or draw(st.booleans()) else ""
        text += gap + tok
    return text + "\n"


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(spec_texts())
def test_generated_specs_format_idempotently_and_keep_their_ir(text: str) -> None:
    before = archdsl.load(text)
    once = format_text(text)
    assert format_text(once) == once
    assert meaning(archdsl.load(once)) == meaning(before)
    assert comments(once) == comments(text)


# ---- the command --------------------------------------------------------------------


def test_fmt_rewrites_files_and_check_reports_them(tmp_path: Path) -> None:
    messy = tmp_path / "m.arch"
    messy.write_text("model m {\ninput [4]\nlinear( 2 )\n}\n")
    good = tmp_path / "lib" / "g.arch"
    good.parent.mkdir()
    good.write_text("block b() {\n  relu\n}\n")
    check = run_cli("fmt", "--check", str(tmp_path))
    assert check.returncode == 1
    assert "would reformat" in check.stderr and "m.arch" in check.stderr
    assert "2 files: would reformat 1, 0 with errors" in check.stderr
    assert messy.read_text() == "model m {\ninput [4]\nlinear( 2 )\n}\n"
    done = run_cli("fmt", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert messy.read_text() == "model m {\n  input [4]\n  linear(2)\n}\n"
    assert run_cli("fmt", "--check", str(messy), str(good)).returncode == 0


def test_fmt_leaves_a_broken_file_alone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.arch"
    bad.write_text("model m {\n  linear(2\n}\n")
    result = run_cli("fmt", str(bad))
    assert result.returncode == 1
    assert "bad.arch:3:1: error: mismatched" in result.stderr
    assert "Traceback" not in result.stderr
    assert bad.read_text() == "model m {\n  linear(2\n}\n"
    assert run_cli("fmt", str(tmp_path / "none.arch")).returncode == 2


def test_fmt_reads_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "archdsl", "fmt", "-"],
        input="model m {input [4];linear(2)}\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "model m { input [4]; linear(2) }\n"


@cache
def grammar_programs() -> st.SearchStrategy[str]:
    """Programs drawn from the grammar, as the fuzz tests draw them."""
    from hypothesis.extra.lark import from_lark

    from tests.test_fuzz import TERMINALS, _fuzz_grammar

    return from_lark(_fuzz_grammar(), explicit=TERMINALS)


@settings(deadline=None, max_examples=40, suppress_health_check=list(HealthCheck))
@given(st.deferred(lambda: grammar_programs()))
def test_programs_drawn_from_the_grammar_keep_their_ast(text: str) -> None:
    """Every construct of the grammar, in any combination: `format_text` proves the AST
    unchanged (it raises FormatError otherwise), and a second pass changes nothing.
    Programs the parser refuses are outside the property: the grammar's flat
    operator lists admit orders (`- not x`) that precedence then rejects."""
    try:
        once = format_text(text)
    except ArchError:
        assume(False)
        return
    assert format_text(once) == once
