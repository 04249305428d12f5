"""`archdsl check`: the typer command, for help and usage errors; the work is in
check_command.py, which `archdsl check` also reaches without typer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.check_command import CheckArgs, run_check


def check(
    spec: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The .arch file to check.", show_default=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    depth: Annotated[
        int,
        typer.Option(
            "--depth", metavar="N", help="Collapse rows nested deeper than N (-1: show all)."
        ),
    ] = 2,
    model: Annotated[
        str | None,
        typer.Option("--model", metavar="NAME", help="Check only this model of the file."),
    ] = None,
    ir: Annotated[bool, typer.Option("--ir", help="Print the whole IR as JSON.")] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Also build the torch module and prove it matches, node by node."
        ),
    ] = False,
    rf: Annotated[
        bool,
        typer.Option("--rf", help="Add receptive-field and effective-stride columns."),
    ] = False,
) -> None:
    """Check a spec and report every layer's shape, parameters and MACs."""
    run_check(CheckArgs(spec, as_json, depth, model, ir, verify, rf))
