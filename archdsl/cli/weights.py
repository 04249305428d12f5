"""`archdsl weights import`: another library's state_dict as a spec's weights file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import err, fail, out, require_folder_of
from archdsl.cli.spec_input import load_model

weights_app = typer.Typer(
    help="Import pretrained weights.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@weights_app.command("import")
def import_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="A .pth/.pt state_dict or .safetensors file, or a torchvision/timm model name "
            "(needs that library).",
            show_default=False,
        ),
    ],
    spec: Annotated[
        Path,
        typer.Argument(metavar="SPEC", help="The .arch file of the model.", show_default=False),
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="FILE", help="The .safetensors file to write."),
    ],
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Which model of the file.")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Keep the tensors that fit and initialise the rest, instead of refusing.",
        ),
    ] = False,
) -> None:
    """Map a torchvision/timm state_dict onto a spec by order and shape; write its weights."""
    ir = load_model(spec, model)
    require_folder_of(output)
    from safetensors.torch import save

    from archdsl.train.atomic import write_durable
    from archdsl.train.errors import TrainError
    from archdsl.weights.importer import import_weights

    try:
        imported = import_weights(ir, source)
    except TrainError as exc:
        fail(str(exc), 1)
    alignment = imported.alignment
    for line in alignment.problems():
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    placed = f"{len(alignment.pairs)} of {alignment.wanted}"
    if not alignment.fits and not partial:
        fail(
            f"{imported.metadata['source']} does not fit model `{ir.name}` "
            f"({len(alignment.problems())} tensors above; {placed} fit); nothing written. "
            "--partial keeps what fits",
            1,
        )
    write_durable(output, save(imported.tensors, metadata=imported.metadata))
    out.print(
        f"placed {placed} tensors of `{ir.name}` from {imported.metadata['source']} "
        f"(by {alignment.how}) -> {output}",
        markup=False,
        highlight=False,
    )
