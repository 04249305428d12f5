"""Renaming any name of the zoo, in a spec or a library, changes nothing but the
name: every spec the rename touches, and a spec that uses a touched library,
still checks, with the same parameters, MACs and output shapes (module names
aside). This proves the rename finds every use and nothing else."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from archdsl.diagnostics import Span
from archdsl.lsp.analysis import analyse, path_of
from archdsl.lsp.rename import rename
from archdsl.lsp.users import users
from archdsl.syntax.parser import parse
from tests.helpers import SPECS

ZOO = sorted([*SPECS.glob("*.arch"), *SPECS.glob("lib/*.arch")])
NEW = "renamed_name"
Totals = list[tuple[str, int, int, tuple[int, ...]]]


def totals(path: Path) -> Totals:
    doc = analyse(path.read_text(), path)
    assert doc.program is not None, [d.message for d in doc.diagnostics]
    assert not doc.diagnostics, [d.message for d in doc.diagnostics]
    return [(m.name, m.params, m.macs, m.output) for m in doc.program.models]


@cache
def original(relative: str) -> Totals:
    return totals(SPECS / relative)


def replaced(text: str, spans: list[Span]) -> str:
    lines = text.split("\n")
    for span in sorted(spans, key=lambda s: (s.line, s.col), reverse=True):
        assert span.line == span.end_line
        line = lines[span.line - 1]
        lines[span.line - 1] = line[: span.col - 1] + NEW + line[span.end_col - 1 :]
    return "\n".join(lines)


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_renaming_each_name_keeps_the_models(tmp_path: Path, path: Path) -> None:
    root = tmp_path / "specs"
    shutil.copytree(SPECS, root)
    doc_path = root / path.relative_to(SPECS)
    doc = analyse(doc_path.read_text(), doc_path)
    mine = [b for b in doc.names().bindings if b.span.file == doc.name]
    for binding in mine:
        spans = rename(doc, binding.span.line, binding.span.col, NEW)
        assert binding.span in spans
        by_file: dict[Path, list[Span]] = {}
        for span in spans:
            by_file.setdefault(path_of(span.file).resolve(), []).append(span)
        saved = {p: p.read_text() for p in by_file}
        try:
            for p, found in by_file.items():
                p.write_text(replaced(saved[p], found))
            checked = {p for p in by_file if parse(saved[p]).models}
            touched_libs = [str(p) for p in by_file if p not in checked]
            checked |= {path_of(u.path).resolve() for u in users(touched_libs)[:1]}
            assert checked, binding.name
            for p in checked:
                relative = p.relative_to(root.resolve()).as_posix()
                assert totals(p) == original(relative), (binding.name, relative)
        finally:
            for p, text in saved.items():
                p.write_text(text)
