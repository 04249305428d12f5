"""`archdsl fmt`: rewrite specs in the canonical layout, or check that they are."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import err, fail, print_diagnostics


def fmt(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="The .arch files to format, folders to search for them, or '-' for stdin.",
            metavar="PATH...",
            show_default=False,
        ),
    ],
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 if a file is not formatted."),
    ] = False,
) -> None:
    """Format specs in the canonical layout: spacing, indentation, aligned labels and comments."""
    from archdsl.diagnostics import ArchError
    from archdsl.format import format_text
    from archdsl.syntax.imports import display_path
    from archdsl.syntax.source_file import Unreadable, read_source

    if [str(p) for p in paths] == ["-"]:
        text = sys.stdin.read()
        try:
            print(format_text(text, "<stdin>"), end="")
        except ArchError as exc:
            print_diagnostics(exc.diagnostics, {"<stdin>": text})
            raise typer.Exit(1) from None
        return
    files = _spec_files(paths)
    changed: list[str] = []
    broken = 0
    for path in files:
        name = display_path(path)
        try:
            text = read_source(path, name)
            formatted = format_text(text, name)
        except Unreadable as problem:
            err.print(f"error: {problem}", markup=False)
            broken += 1
            continue
        except ArchError as exc:
            print_diagnostics(exc.diagnostics, {name: text})
            broken += 1
            continue
        if formatted == text:
            continue
        changed.append(name)
        if check:
            err.print(f"would reformat {name}", markup=False)
        else:
            path.write_text(formatted, encoding="utf-8")
    verb = "would reformat" if check else "reformatted"
    err.print(f"{len(files)} files: {verb} {len(changed)}, {broken} with errors", markup=False)
    if broken or (check and changed):
        raise typer.Exit(1)


def _spec_files(paths: list[Path]) -> list[Path]:
    """Every .arch file named or inside a named folder; a missing path is a usage error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.arch"))
        elif path.exists():
            files.append(path)
        else:
            fail(f"no such file or directory: {path}", 2)
    return files
