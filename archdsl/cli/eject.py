"""`archdsl eject`: a spec's model as standalone PyTorch source."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out, require_folder_of
from archdsl.cli.spec_input import load_spec
from archdsl.train.words import counted


def eject(
    spec: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The .arch file to eject.", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write the Python source here ('-': print it).",
            show_default=False,
        ),
    ],
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Eject this model of the file.")
    ] = None,
) -> None:
    """Write a spec's model as plain PyTorch: one nn.Module class per block, no archdsl."""
    program, ir = load_spec(spec, model)
    from archdsl.export.eject import EjectError
    from archdsl.export.eject import eject as eject_source

    try:
        source = eject_source(ir, program.sources, spec.as_posix())
    except EjectError as exc:
        fail(f"cannot eject {spec}: {exc}", 1)
    if str(output) == "-":
        print(source, end="")
        return
    require_folder_of(output)
    try:
        output.write_text(source, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", 1)
    classes = source.count("\nclass ")
    out.print(
        f"wrote {output}: {ir.name} as {counted(classes, 'class')} in "
        f"{counted(source.count(chr(10)), 'line')}",
        markup=False,
    )
