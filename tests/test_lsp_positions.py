"""The language server's answers at every name of every wrong spec and of the zoo's
named-value specs: nothing raises, and every definition and reference it gives
spells the name under the cursor (the same name, found where it is given)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archdsl.diagnostics import Span
from archdsl.lsp.analysis import WORD, analyse, completions, definition, hover, path_of
from archdsl.lsp.rename import prepare_rename, references
from tests.helpers import ROOT, SPECS

FILES = [
    *sorted((ROOT / "tests" / "wrong_specs").glob("*.arch")),
    SPECS / "unet.arch",
    SPECS / "inception_v3.arch",
    SPECS / "text_transformer.arch",
    SPECS / "lib" / "shufflenet.arch",
    SPECS / "lib" / "convnext.arch",
]


def spelled(span: Span, own: Path, text: str) -> str:
    source = text if path_of(span.file).resolve() == own else path_of(span.file).read_text()
    return source.split("\n")[span.line - 1][span.col - 1 : span.end_col - 1]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_name_leads_to_the_same_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    doc = analyse(text, path.resolve())
    defined = 0
    for i, line in enumerate(text.split("\n"), start=1):
        for match in WORD.finditer(line):
            word, col = match.group(), match.start() + 1
            hover(doc, i, col)
            target = definition(doc, i, col)
            if target is not None:
                defined += 1
                assert spelled(target, path.resolve(), text) == word, (i, col)
            for span in references(doc, i, col):
                assert spelled(span, path.resolve(), text) == word, (i, col)
            prepared = prepare_rename(doc, i, col)
            assert prepared is None or spelled(prepared, path.resolve(), text) == word
        completions(doc, text, i, len(line) + 1)
    if path.is_relative_to(SPECS):
        assert defined >= 10  # the zoo's specs name and read values
