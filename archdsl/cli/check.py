"""`archdsl check`: the static report of a spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out, print_diagnostics


def check(
    spec: Annotated[Path, typer.Argument(help="The .arch file to check.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    depth: Annotated[
        int, typer.Option("--depth", help="Collapse rows nested deeper than N (-1: show all).")
    ] = 2,
    model: Annotated[
        str | None, typer.Option("--model", help="Check only this model of the file.")
    ] = None,
    ir: Annotated[bool, typer.Option("--ir", help="Print the whole IR as JSON.")] = False,
) -> None:
    """Check a spec and report every layer's shape, parameters and MACs."""
    from archdsl.diagnostics import ArchError
    from archdsl.loader import load

    if not spec.is_file():
        fail(f"no such file: {spec}" if not spec.exists() else f"not a file: {spec}", 2)
    try:
        program = load(spec, model=model)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
        return
    except ArchError as exc:
        if as_json or ir:
            from archdsl.report.json_report import diagnostics_json

            # Plain print, as for a sound spec: rich would colour the JSON in a
            # terminal or under FORCE_COLOR, and a consumer could not parse it.
            print(json.dumps(diagnostics_json(exc.diagnostics), indent=2))
        else:
            print_diagnostics(exc.diagnostics, exc.sources)
        raise typer.Exit(1) from None
    if not program.models:
        fail(f"{spec} defines no model (only blocks?)", 1)
    if ir:
        print(program.model_dump_json(indent=1, exclude={"sources"}))
        return
    if as_json:
        from archdsl.report.json_report import model_json

        objects = [model_json(m) for m in program.models]
        payload = objects[0] if len(objects) == 1 else {"models": objects}
        print(json.dumps(payload))
        return
    from archdsl.report.table import print_model

    for m in program.models:
        print_model(out, m, None if depth < 0 else depth, str(spec))
