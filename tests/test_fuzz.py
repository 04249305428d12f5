"""Hostile input: whatever the text, the checker answers with a program or diagnostics.

Random text, programs drawn from the grammar itself and mutated zoo specs are
fed to `archdsl.load`. The only outcomes allowed are a checked Program or an
ArchError whose diagnostics point inside the source; any other exception is a
bug, since a user would see a traceback.
"""

from __future__ import annotations

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
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = settings(FUZZ, max_examples=300)
GRAMMAR_PROGRAMS = settings(FUZZ, max_examples=40)
MUTANTS = settings(FUZZ, max_examples=150)
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
