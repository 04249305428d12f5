"""Read the one model a command works on, or exit with the reason it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from archdsl.cli.console import fail, print_diagnostics

if TYPE_CHECKING:
    from archdsl.ir import Model, Program


def load_model(spec: Path, model: str | None) -> Model:
    """The checked model of `spec` (the one named, or the only one)."""
    return load_spec(spec, model)[1]


def load_spec(spec: Path, model: str | None) -> tuple[Program, Model]:
    """The checked program of `spec` and its model (the one named, or the only one).

    Exits 2 for a missing file or an unknown model name, 1 for a spec with errors.
    """
    from archdsl.diagnostics import ArchError
    from archdsl.loader import load

    if not spec.is_file():
        fail(f"no such file: {spec}" if not spec.exists() else f"not a file: {spec}", 2)
    try:
        program = load(spec, model=model)
    except ArchError as exc:
        print_diagnostics(exc.diagnostics, exc.sources)
        raise typer.Exit(1) from None
    if not program.models:
        fail(f"{spec} defines no model (only blocks?)", 1)
    try:
        return program, program.model(model)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
        raise  # unreachable: fail exits
