"""Loading a spec for a command: its checked program, or its diagnostics and an exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from archdsl.cli.terminal import fail, print_diagnostics
from archdsl.diagnostics import Diagnostic

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
        missing = f"no such file: {spec}" if not spec.exists() else f"not a file: {spec}"
        _refuse(Diagnostic("usage", missing, None), 2, as_json)
    try:
        program = load(spec, model=model)
    except KeyError as exc:
        _refuse(Diagnostic("usage", str(exc.args[0]), None), 2, as_json)
    except ArchError as exc:
        if as_json:
            _print_json(exc.diagnostics)
        else:
            print_diagnostics(exc.diagnostics, exc.sources)
        raise SystemExit(error_code) from None
    if not program.models:
        only_blocks = f"{spec} defines no model (only blocks?)"
        _refuse(Diagnostic("no-model", only_blocks, None), error_code, as_json)
    warnings = [w for m in program.models for w in m.warnings]
    if warnings and not as_json:
        print_diagnostics(warnings, program.sources)
    return program


def _print_json(diagnostics: list[Diagnostic]) -> None:
    from archdsl.report.json_report import check_json

    print(json.dumps(check_json([], diagnostics)))


def _refuse(problem: Diagnostic, code: int, as_json: bool) -> NoReturn:
    """A problem with no place in a spec: as the JSON report, or a plain error line."""
    if as_json:
        _print_json([problem])
        raise SystemExit(code)
    fail(problem.message, code)


def one_model(program: Program, spec: Path, name: str | None, option: str = "--model") -> Model:
    """The model a command works on: the named one, or the file's only one."""
    if name is None and len(program.models) > 1:
        names = ", ".join(m.name for m in program.models)
        fail(f"{spec} has several models ({names}); choose one with {option}", 2)
    return program.model(name)
