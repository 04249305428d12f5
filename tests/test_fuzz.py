"""Hostile input: whatever the text, the checker answers with a program or diagnostics.

Random text, programs drawn from the grammar itself and mutated zoo specs are
fed to `archdsl.load`. The only outcomes allowed are a checked Program or an
ArchError whose diagnostics point inside the source; any other exception is a
bug, since a user would see a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from archdsl.diagnostics import ArchError, Span
from archdsl.ir import Program
from archdsl.loader import load
from archdsl.ops import OPS
from archdsl.syntax.syntax_errors import KEYWORDS
from tests.helpers import SPECS

# No deadline: these tests look for exceptions, not speed. Example counts keep the
# file well under a minute on two cores; drawing from the grammar is the slow part.
# ARCHDSL_FUZZ_SCALE multiplies every count, for a long campaign run by hand.
SCALE = int(os.environ.get("ARCHDSL_FUZZ_SCALE", "1"))
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = settings(FUZZ, max_examples=300 * SCALE)
GRAMMAR_PROGRAMS = settings(FUZZ, max_examples=40 * SCALE)
MUTANTS = settings(FUZZ, max_examples=150 * SCALE)
GRAMMAR = Path(__file__).resolve().parent.parent / "archdsl" / "syntax" / "grammar.lark"


def _inside(span: Span, sources: dict[str, str]) -> bool:
    """Whether a span starts on a line of its file, at most one past the line's end."""
    text = sources.get(span.file)
    if text is None:
        return False
    lines = text.split("\n")
    if not 1 <= span.line <= len(lines):
        return False
    return 1 <= span.col <= len(lines[span.line - 1]) + 1


def check_outcome(source: str | Path) -> Program | ArchError:
    """Load a spec; fail the test on anything but a Program or well-formed diagnostics."""
    try:
        return load(source)
    except ArchError as err:
        assert err.diagnostics, "an ArchError must carry at least one diagnostic"
        for diag in err.diagnostics:
            spans = [diag.span, *(note.span for note in diag.notes)]
            for span in spans:
                assert span is None or _inside(span, err.sources), (diag, span)
        str(err)  # rendering must not fail either
        return err


def check_text(text: str) -> Program | ArchError:
    # A trailing newline keeps `load` from reading a one-line text as a path.
    return check_outcome(text + "\n")


# ---- random text -------------------------------------------------------------------

SPEC_PIECES = [
    *'(){}[]|-><=:,.;#"_+*/%\n\t\f x0123456789',
    *("model ", "block ", "input ", "repeat", "residual", "concat", "if ", " else "),
    *("in.", "relu", "conv", "3x3", "**", "0.5", "1e999", "9" * 50, "true"),
]


@TEXT
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check_text(text)


@TEXT
@given(st.lists(st.sampled_from(SPEC_PIECES), max_size=40).map("".join))
def test_random_spec_like_text(text: str) -> None:
    check_text("model m {\n  input [3, 8, 8]\n" + text + "\n}")


# ---- programs drawn from the grammar ---------------------------------------------


def _fuzz_grammar() -> Lark:
    """archdsl's grammar with spaces as the only ignored text.

    Generated comments would swallow the tokens after them, and the post-lexer
    is left out: the generator writes token streams, not files.
    """
    text = GRAMMAR.read_text()
    text = re.sub(r"^%ignore .*$", "", text, flags=re.MULTILINE)
    return Lark(text + '\n%ignore " "\n', parser="lalr", lexer="basic")


def _padded(words: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(words).map(lambda w: f" {w} ")


# Ops whose names are keywords (`add`, `concat`, `mul`) are written with the keyword.
_OP_NAMES = [name for name in sorted(OPS) if name not in KEYWORDS.values()]
_NAMES = [*_OP_NAMES[:12], "relu", "conv", "linear", "flatten", "width", "x", "m", "b"]
TERMINALS: dict[str, st.SearchStrategy[str]] = {
    "NAME": _padded(_NAMES),
    "INT": _padded(["0", "1", "2", "3", "16", "1_0"]),
    "FLOAT": _padded(["0.5", "1e-3", "2.0"]),
    "SIZE": _padded(["1x1", "3x3", "2x2", "7x1"]),
    "STRING": st.sampled_from(['"same"', '"lib/resnet.arch"', '"x.arch"', '""']),
    "_NL": st.sampled_from(["\n", ";", "\n\n"]),
    **{name: st.just(f" {word} ") for name, word in KEYWORDS.items()},
}


@pytest.fixture(scope="module")
def grammar_programs() -> st.SearchStrategy[str]:
    return from_lark(_fuzz_grammar(), explicit=TERMINALS)


def test_grammar_programs(grammar_programs: st.SearchStrategy[str]) -> None:
    outcomes: list[Program | ArchError] = []

    @GRAMMAR_PROGRAMS
    @given(grammar_programs)
    def run(text: str) -> None:
        outcomes.append(check_text(text))

    run()
    # The drawn programs must mostly get past the parser, or they test nothing
    # beyond it: a syntax diagnostic is the parser's only way to refuse them.
    parsed = [o for o in outcomes if not _is_syntax_error(o)]
    assert len(parsed) >= len(outcomes) // 2, f"{len(parsed)} of {len(outcomes)} parsed"


def _is_syntax_error(outcome: Program | ArchError) -> bool:
    return isinstance(outcome, ArchError) and outcome.diagnostics[0].code == "syntax"


# ---- mutated zoo specs -----------------------------------------------------------

ZOO = sorted([*SPECS.glob("*.arch"), *SPECS.glob("lib/*.arch")])
TOKEN = re.compile(r"\s+|\w+|\"[^\"\n]*\"|->|\*\*|//|[=!<>]=|.", re.DOTALL)


@pytest.fixture(scope="module")
def zoo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of specs/, so mutants resolve their imports as the originals do."""
    root = tmp_path_factory.mktemp("zoo")
    shutil.copytree(SPECS, root / "specs")
    return root / "specs"


def _mutate(text: str, data: st.DataObject) -> str:
    by_line = data.draw(st.booleans())
    parts = text.split("\n") if by_line else TOKEN.findall(text)
    joiner = "\n" if by_line else ""
    for _ in range(data.draw(st.integers(1, 4))):
        if not parts:
            break
        i = data.draw(st.integers(0, len(parts) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "copy"]))
        if action == "delete":
            del parts[i]
        elif action == "duplicate":
            parts.insert(i, parts[i])
        else:
            j = data.draw(st.integers(0, len(parts) - 1))
            if action == "swap":
                parts[i], parts[j] = parts[j], parts[i]
            else:
                parts.insert(j, parts[i])
    return joiner.join(parts)


def _entry_for(relative: Path, root: Path) -> Path:
    """The spec to load for a mutated file: itself, or for a library a spec that uses it."""
    if relative.parent == Path("."):
        return root / relative
    users = [s for s in sorted(root.glob("*.arch")) if f'"{relative}"' in s.read_text()]
    return users[0] if users else root / relative


@MUTANTS
@given(data=st.data())
def test_mutated_zoo_specs(zoo_copy: Path, data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(ZOO))
    relative = original.relative_to(SPECS)
    target = zoo_copy / relative
    target.write_text(_mutate(original.read_text(), data))
    try:
        check_outcome(_entry_for(relative, zoo_copy))
    finally:
        shutil.copyfile(original, target)


def test_the_zoo_itself_is_sound() -> None:
    """The unmutated specs check cleanly, so mutants start from working programs."""
    for spec in SPECS.glob("*.arch"):
        assert isinstance(check_outcome(spec), Program), spec


# ---- arithmetic built-ins ----------------------------------------------------------
# Numbers of every size the lexer lets through (up to 128 bits), negative ones,
# floats near the ends of their range, and the functions with right and wrong
# argument counts and names: each must give a value or a diagnostic, and none may
# cost time that grows with an argument's value (`round(1, -10**7)` once took 28 s).
FUNCTIONS = ["min", "max", "abs", "round", "floor", "ceil", "int", "float", "divisible"]
KWARGS = ["ndigits", "min_value", "divisor", "value", "number", "x", "key"]
BIG_INTS = st.integers(-(2**128), 2**128) | st.sampled_from([0, 1, -1, 2**127, -(2**127), 10**38])
FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=64) | st.sampled_from(
    [1e308, -1e308, 5e-324, 0.5, 2.5]
)
ARITHMETIC = settings(FUZZ, max_examples=300 * SCALE)


def _number(value: int | float) -> str:
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


_LEAVES = st.one_of(
    BIG_INTS.map(_number),
    FLOATS.map(_number),
    st.sampled_from(["in.features", "w", "true", '"same"', "3x3", "[1, 2]"]),
)


def _call(args: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    named = st.tuples(st.sampled_from(KWARGS), args.map(lambda a: a[0] if a else "1"))
    return st.builds(
        lambda name, pos, kws: f"{name}({', '.join(pos + [f'{k}={v}' for k, v in kws])})",
        st.sampled_from(FUNCTIONS),
        args,
        st.lists(named, max_size=2),
    )


EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        _call(st.lists(inner, max_size=4)),
        st.builds(
            lambda a, op, b: f"({a} {op} {b})",
            inner,
            st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<", "=="]),
            inner,
        ),
        inner.map(lambda a: f"-{a}"),
    ),
    max_leaves=8,
)


@ARITHMETIC
@given(EXPRESSIONS, EXPRESSIONS)
def test_arithmetic_built_ins(value: str, width: str) -> None:
    check_text(
        "block b(w) {\n  let v = " + value + "\n  linear(" + width + ")\n}\n"
        "model m {\n  input [3]\n  b(" + width + ")\n  linear(v)\n}"
    )


# ---- `use` of any path -------------------------------------------------------------
USES = settings(FUZZ, max_examples=150 * SCALE)


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of things a `use` may name: files good and bad, a fifo, links."""
    root = tmp_path_factory.mktemp("uses")
    (root / "lib.arch").write_text("block unit() { relu }\n")
    (root / "broken.arch").write_text("block unit( { relu }\n")
    (root / "latin1.arch").write_bytes("block caf\xe9() { relu }\n".encode("latin-1"))
    (root / "secret.txt").write_text("password: hunter2\n")
    (root / "folder.arch").mkdir()
    with (root / "huge.arch").open("wb") as huge:
        huge.truncate(64 * 2**20)  # sparse: past the size cap, costs no disk
    (root / "self.arch").write_text('use "self.arch"\n')
    os.mkfifo(root / "fifo.arch")
    (root / "loop.arch").symlink_to(root / "loop.arch")
    (root / "zero.arch").symlink_to("/dev/zero")
    return root


USE_PATHS = st.sampled_from(
    [
        "lib.arch", "broken.arch", "latin1.arch", "secret.txt", "folder.arch", "huge.arch",
        "self.arch", "fifo.arch", "loop.arch", "zero.arch", "missing.arch", "/dev/zero",
        "/dev/null", "../../../../etc/passwd", "/etc/passwd.arch", "a\0b.arch",
        "x" * 300 + ".arch", "", ".", "./", "lib.arch/x.arch",
    ]
)  # fmt: skip


@USES
@given(st.lists(USE_PATHS, min_size=1, max_size=3))
def test_use_of_any_path(hostile_files: Path, paths: list[str]) -> None:
    spec = hostile_files / "main.arch"
    uses = "".join(f'use "{p}"\n' for p in paths)
    spec.write_text(uses + "model m {\n  input [3]\n  linear(4)\n}\n")
    outcome = check_outcome(spec)
    # Only a spec's text is ever quoted back: never another file's.
    assert "hunter2" not in str(outcome)
