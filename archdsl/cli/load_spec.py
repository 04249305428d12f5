"""Loading a spec for a command: its checked program, or its diagnostics and an exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from archdsl.cli.console import fail, print_diagnostics

if TYPE_CHECKING:
    from archdsl.ir import Model, Program


def load_or_exit(
    spec: Path, model: str | None = None, error_code: int = 1, as_json: bool = False
) -> Program:
    """The checked program of `spec` (only `model`, if named).

    A missing file or an unknown model exits 2; a spec with errors prints every
    diagnostic (as JSON with `as_json`) and exits `error_code`.
    """
    from archdsl.diagnostics import ArchError
    from archdsl.loader import load

    if not spec.is_file():
        fail(f"no such file: {spec}" if not spec.exists() else f"not a file: {spec}", 2)
    try:
        program = load(spec, model=model)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
    except ArchError as exc:
        if as_json:
            from archdsl.report.json_report import diagnostics_json

            print(json.dumps(diagnostics_json(exc.diagnostics)))
        else:
            print_diagnostics(exc.diagnostics, exc.sources)
        raise typer.Exit(error_code) from None
    if not program.models:
        fail(f"{spec} defines no model (only blocks?)", error_code)
    warnings = [w for m in program.models for w in m.warnings]
    if warnings and not as_json:
        print_diagnostics(warnings, program.sources)
    return program


def one_model(program: Program, spec: Path, name: str | None, option: str = "--model") -> Model:
    """The model a command works on: the named one, or the file's only one."""
    if name is None and len(program.models) > 1:
        names = ", ".join(m.name for m in program.models)
        fail(f"{spec} has several models ({names}); choose one with {option}", 2)
    return program.model(name)
