"""`archdsl eval`: a trained model's loss and accuracy on the held-out data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out
from archdsl.cli.needs import require_torch
from archdsl.cli.run_config import model_and_config


def evaluate(
    spec: Annotated[
        Path,
        typer.Argument(metavar="SPEC", help="The .arch file of the model.", show_default=False),
    ],
    weights: Annotated[
        Path,
        typer.Option(
            "--weights", metavar="FILE", help="A .safetensors file from a run.", show_default=False
        ),
    ],
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Which model of the file.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", metavar="DIR", help="Where the dataset's files are.")
    ] = None,
    batch: Annotated[int | None, typer.Option("--batch", metavar="N", help="Batch size.")] = None,
    device: Annotated[
        str | None,
        typer.Option("--device", metavar="DEVICE", help="auto, cpu or cuda.", show_default=False),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a key of the train section."),
    ] = None,
) -> None:
    """Report held-out loss and accuracy of trained weights."""
    flags = {"data": data, "batch": batch, "device": device}
    require_torch("eval", "train")
    ir, config = model_and_config(spec, model, flags, sets)
    from archdsl.train.errors import TrainError
    from archdsl.train.evaluate import evaluate_weights

    try:
        result = evaluate_weights(ir, config, weights)
    except TrainError as exc:
        fail(str(exc), 1)
        return
    out.print(
        f"{ir.name} on {result.dataset} (held out, {result.count:,} samples): "
        f"loss {result.loss:.4f}, accuracy {result.accuracy:.2%}"
    )
