"""`archdsl diff`: the layers added, removed or changed between two specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import out
from archdsl.cli.load_spec import load_or_exit, one_model

# diff(1)'s convention, so scripts can ask "did the architecture change?".
SAME, DIFFERENT, TROUBLE = 0, 1, 2


def diff(
    spec_a: Annotated[
        Path, typer.Argument(metavar="SPEC_A", help="The earlier .arch file.", show_default=False)
    ],
    spec_b: Annotated[
        Path, typer.Argument(metavar="SPEC_B", help="The later .arch file.", show_default=False)
    ],
    model_a: Annotated[
        str | None,
        typer.Option("--model-a", metavar="NAME", help="The model of the first file to compare."),
    ] = None,
    model_b: Annotated[
        str | None,
        typer.Option("--model-b", metavar="NAME", help="The model of the second file to compare."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    everything: Annotated[
        bool,
        typer.Option("--all", help="List every layer that differs, at every depth."),
    ] = False,
) -> None:
    """Compare two specs layer by layer, with parameter and MAC totals.

    Exits 0 when the models are the same, 1 when they differ, and 2 when a
    spec cannot be read or has errors.
    """
    first = one_model(load_or_exit(spec_a, model_a, TROUBLE), spec_a, model_a, "--model-a")
    second = one_model(load_or_exit(spec_b, model_b, TROUBLE), spec_b, model_b, "--model-b")

    from archdsl.analysis.diff import diff_models

    result = diff_models(first, second, everything)
    if as_json:
        from archdsl.report.diff_report import diff_json

        print(json.dumps(diff_json(result, str(spec_a), str(spec_b))))
    else:
        from archdsl.report.diff_report import diff_text

        out.print(diff_text(result, str(spec_a), str(spec_b)), soft_wrap=True, end="")
    raise typer.Exit(SAME if result.identical else DIFFERENT)
