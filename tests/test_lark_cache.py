"""The parser tables' cache: in the user's cache directory, and never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Transformer

from archdsl.syntax.lark_cache import cache_dir, cached_lark

GRAMMAR = 'start: WORD+\nWORD: /[a-z]+/\n%ignore " "\n'


class Count(Transformer[object, int]):
    def start(self, words: list[object]) -> int:
        return len(words)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "archdsl"


def test_tables_are_written_once_then_loaded(cache_home: Path) -> None:
    assert cache_dir() == cache_home
    first = cached_lark(GRAMMAR, parser="lalr", transformer=Count())
    files = list(cache_home.iterdir())
    assert [f.suffix for f in files] == [".lark"]  # renamed into place, nothing partial left
    assert cache_home.stat().st_mode & 0o077 == 0  # private to the user
    written = files[0].stat().st_mtime_ns
    second = cached_lark(GRAMMAR, parser="lalr", transformer=Count())
    assert files[0].stat().st_mtime_ns == written
    assert first.parse("a bc def") == second.parse("a bc def") == 3


def test_another_grammar_or_option_gets_its_own_file(cache_home: Path) -> None:
    cached_lark(GRAMMAR, parser="lalr")
    cached_lark(GRAMMAR.replace("a-z", "a-y"), parser="lalr")
    cached_lark(GRAMMAR, parser="lalr", lexer="contextual")
    assert len(list(cache_home.iterdir())) == 3


@pytest.mark.parametrize("content", [b"", b"not a pickle\n\x80\x04junk", b"0" * 64 + b"\n"])
def test_a_corrupt_cache_file_falls_back_to_building(cache_home: Path, content: bytes) -> None:
    cached_lark(GRAMMAR, parser="lalr")
    (path,) = cache_home.iterdir()
    path.write_bytes(content)
    parser = cached_lark(GRAMMAR, parser="lalr", transformer=Count())
    assert parser.parse("x y") == 2


def test_no_cache_directory_means_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # archdsl/ cannot be made under a file
    parser = cached_lark(GRAMMAR, parser="lalr", transformer=Count())
    assert parser.parse("x y z") == 3
    assert blocker.read_text() == ""
