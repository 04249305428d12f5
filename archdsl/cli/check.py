"""`archdsl check`: the static report of a spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archdsl.cli.console import err, fail, out, print_diagnostics
from archdsl.cli.load_spec import load_or_exit
from archdsl.cli.needs import require_torch

if TYPE_CHECKING:
    from archdsl.backend.verify import Verified
    from archdsl.diagnostics import Diagnostic
    from archdsl.ir import Program


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
    program = load_or_exit(spec, model, as_json=as_json or ir)
    train_problems = _check_train_sections(program)
    if train_problems:
        if as_json or ir:
            from archdsl.report.json_report import check_json

            print(json.dumps(check_json([], train_problems)))
        else:
            print_diagnostics(train_problems, program.sources)
        raise typer.Exit(1)
    if ir:
        print(program.model_dump_json(indent=1, exclude={"sources"}))
        return
    if verify:
        require_torch("check --verify", "torch")
    results = _verify(program) if verify else []
    problems = [m.diagnostic() for result in results for m in result.mismatches]
    if as_json:
        from archdsl.report.json_report import check_json, model_json

        objects = [model_json(m) for m in program.models]
        for obj, result in zip(objects, results, strict=False):
            obj["verify"] = result.as_json()
        warnings = [w for m in program.models for w in m.warnings]
        print(json.dumps(check_json(objects, warnings + problems)))
    else:
        from archdsl.report.table import print_model

        for m in program.models:
            fields = None
            if rf:
                from archdsl.analysis.receptive_field import receptive_fields, undefined

                fields = receptive_fields(m) or {}
                for name, reason in undefined(m).items():
                    err.print(
                        f"note: `{m.name}` has no receptive field at `{name}`: {reason}",
                        markup=False,
                        highlight=False,
                    )
            print_model(out, m, None if depth < 0 else depth, str(spec), fields)
        for m, result in zip(program.models, results, strict=False):
            if not result.mismatches:
                out.print(
                    f"verified {m.name} against torch ({result.device} device): "
                    f"{result.nodes:,} nodes, {result.params:,} params, "
                    f"{result.buffers:,} buffers agree with the IR"
                )
        if problems:
            print_diagnostics(problems, program.sources)
    if problems:
        raise typer.Exit(1)


def _check_train_sections(program: Program) -> list[Diagnostic]:
    """Validate each train section as `archdsl train` would, without torch or data."""
    problems: list[Diagnostic] = []
    sections = [m for m in program.models if m.train]
    if not sections:
        return problems
    from archdsl.diagnostics import ArchError
    from archdsl.train.resolve import NO_DATA, train_config

    for m in sections:
        try:
            train_config(m)
        except ArchError as exc:
            problems += [d for d in exc.diagnostics if d.code != NO_DATA]
    return problems


def _verify(program: Program) -> list[Verified]:
    """Build each model with torch and compare it with the IR, node by node."""
    from archdsl.backend.allocation import TooLarge
    from archdsl.backend.verify import verify

    try:
        return [verify(m) for m in program.models]
    except TooLarge as exc:
        fail(str(exc), 1)
