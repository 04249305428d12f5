"""The specs that `use` a document's files: where else a block is called.

A library's block is called, and its parameters named by keyword, in the specs
that `use` it; references and renaming must reach them too. They are looked for
where a library's users live: beside each of the document's files, and one
folder up (as `specs/resnet50.arch` uses `specs/lib/resnet.arch`).
"""

from __future__ import annotations

from pathlib import Path

from archdsl.diagnostics import ArchError
from archdsl.syntax import ast
from archdsl.syntax.source_file import Unreadable


def users(files: list[str]) -> list[ast.SourceFile]:
    """The parsed specs that `use` one of `files` (names as spans give them) without
    being one of them, as saved on disk; a spec that does not parse is left out."""
    from archdsl.lsp.analysis import USE, file_name, path_of
    from archdsl.syntax.parser import parse
    from archdsl.syntax.source_file import read_source

    known = {path_of(name).resolve() for name in files if name != "<untitled>"}
    folders = sorted({p.parent for p in known} | {p.parent.parent for p in known})
    found = []
    for folder in folders:
        for candidate in sorted(folder.glob("*.arch")):
            target = candidate.resolve()
            if target in known:
                continue
            try:
                text = read_source(candidate, candidate.name)
            except Unreadable:
                continue
            used = {(candidate.parent / m.group(1)).resolve() for m in USE.finditer(text)}
            if not used & known:
                continue
            try:
                found.append(parse(text, file_name(Path(target))))
            except ArchError:
                continue
    return found
