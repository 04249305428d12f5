"""`archdsl.load`: from a path or spec text to a checked Program."""

from __future__ import annotations

import sys
from pathlib import Path

from archdsl.diagnostics import ArchError, Diagnostic
from archdsl.ir import Program
from archdsl.syntax.imports import display_path, load_unit
from archdsl.syntax.limits import RECURSION_LIMIT
from archdsl.syntax.source_file import Unreadable, read_source


def read_spec(path: Path) -> str:
    """A spec file's text; a user-facing ArchError when it cannot be read."""
    try:
        return read_source(path, str(path))
    except Unreadable as problem:
        raise ArchError([Diagnostic("io", str(problem), None)]) from None


def _looks_like_path(source: str) -> bool:
    if "\n" in source or "{" in source:
        return False
    if source.endswith(".arch"):
        return True
    try:
        return Path(source).exists()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it: text
        return False


def load(source: str | Path, model: str | None = None) -> Program:
    """Parse, resolve imports, elaborate and check a spec.

    `source` is a path (a `Path`, or a string naming a file or ending in
    `.arch`) or the text of a spec. With `model`, only that model is checked.
    Raises ArchError, carrying every diagnostic, when the spec has errors;
    KeyError when `model` names no model of the file.
    """
    from archdsl.elaborate.program import elaborate

    if isinstance(source, Path) or _looks_like_path(source):
        path = Path(source)
        text, name, base = read_spec(path), display_path(path), path
    else:
        text, name, base = str(source), "<string>", None
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        unit = load_unit(text, name, base)
        program, diags = elaborate(unit, model)
    finally:
        sys.setrecursionlimit(old_limit)
    errors = [d for d in diags if d.severity.value == "error"]
    if errors:
        raise ArchError(errors, unit.sources)
    return program
