"""Load a spec and the block libraries it `use`s, reporting missing files and cycles."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from archdsl.diagnostics import ArchError, Diagnostic, Note
from archdsl.syntax import ast
from archdsl.syntax.limits import MAX_SOURCE_BYTES
from archdsl.syntax.parser import parse
from archdsl.syntax.source_file import Unreadable, read_source, resolve

SPEC_SUFFIX = ".arch"


@dataclass
class Unit:
    """A main file with everything it imports, parsed."""

    main: ast.SourceFile
    files: dict[str, ast.SourceFile] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def load_unit(text: str, name: str, base: Path | None) -> Unit:
    """Parse `text` (named `name`) and, recursively, its imports relative to `base`."""
    sources = {name: text}
    if len(text) > MAX_SOURCE_BYTES:
        message = f"the spec is larger than {MAX_SOURCE_BYTES // 2**20} MiB, the limit for a spec"
        raise ArchError([Diagnostic("limit", message, None)])
    try:
        main = parse(text, name)
    except ArchError as err:
        err.sources.update(sources)
        raise
    unit = Unit(main, {name: main}, sources)
    try:
        start = resolve(base, str(base)) if base is not None else None
    except Unreadable as problem:
        raise ArchError([Diagnostic("io", str(problem), None)], sources) from None
    directory = start.parent if start is not None else Path.cwd()
    _load_imports(unit, main, directory, [start])
    return unit


def _load_imports(
    unit: Unit,
    src: ast.SourceFile,
    directory: Path,
    chain: list[Path | None],
    via: tuple[ast.Use, ...] = (),
) -> None:
    """Load `src`'s imports; `chain` holds the files that led here, `via` the `use`
    by which each of them after the first was imported."""
    for use in src.uses:
        target = _target(unit, directory, use)
        if target is None:
            continue
        if target in chain:
            start = chain.index(target)
            loop = [p for p in chain[start:] if p is not None] + [target]
            notes = tuple(
                Note(f"{display_path(a)} uses {display_path(b)}", hop.span)
                for a, b, hop in zip(loop, loop[1:], via[start:], strict=False)
            )
            unit.diagnostics.append(
                Diagnostic(
                    "import-cycle",
                    f"import cycle: {' -> '.join(display_path(p) for p in loop)}",
                    use.span,
                    notes=notes,
                    help="move the shared blocks into a library that imports neither file",
                )
            )
            continue
        shown = display_path(target)
        if shown in unit.files:
            continue  # already loaded through another path
        text = _read(unit, target, use)
        if text is None:
            continue
        unit.sources[shown] = text
        try:
            imported = parse(text, shown)
        except ArchError as err:
            unit.diagnostics.extend(
                d.with_notes(Note("imported from here", use.span)) for d in err.diagnostics
            )
            continue
        unit.files[shown] = imported
        _load_imports(unit, imported, target.parent, [*chain, target], (*via, use))


def _target(unit: Unit, directory: Path, use: ast.Use) -> Path | None:
    """The file a `use` names, or None with a diagnostic when it cannot be one.

    Only `.arch` files are read, so no other file's text is ever quoted back.
    """
    if not use.path.endswith(SPEC_SUFFIX):
        message = f"`use` takes a spec file ending in `{SPEC_SUFFIX}`, not `{use.path}`"
        unit.diagnostics.append(Diagnostic("import", message, use.span))
        return None
    try:
        return resolve(directory / use.path, f"`{use.path}`")
    except Unreadable as problem:
        unit.diagnostics.append(Diagnostic("import", str(problem), use.span))
    return None


def _read(unit: Unit, target: Path, use: ast.Use) -> str | None:
    try:
        text = read_source(target, f"`{use.path}`")
        if sum(map(len, unit.sources.values())) + len(text) > MAX_SOURCE_BYTES:
            raise Unreadable(
                f"the spec and its imports pass {MAX_SOURCE_BYTES // 2**20} MiB, "
                "the limit for a spec"
            )
        return text
    except Unreadable as problem:
        unit.diagnostics.append(
            Diagnostic(
                "import",
                str(problem),
                use.span,
                notes=(Note(f"looked for {display_path(target)}"),),
                help="paths in `use` are relative to the file that holds them",
            )
        )
    return None
