"""`archdsl eval`: a trained model's loss and accuracy on the held-out data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out
from archdsl.cli.run_config import model_and_config


def evaluate(
    spec: Annotated[Path, typer.Argument(help="The .arch file of the model.", show_default=False)],
    weights: Annotated[
        Path, typer.Option("--weights", help="A .safetensors file from a run.", show_default=False)
    ],
    model: Annotated[str | None, typer.Option("--model", help="Which model of the file.")] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Where the dataset's files are.")
    ] = None,
    batch: Annotated[int | None, typer.Option("--batch", help="Batch size.")] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu or cuda.", show_default=False)
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a key of the train section."),
    ] = None,
) -> None:
    """Report held-out loss and accuracy of trained weights."""
    flags = {"data": data, "batch": batch, "device": device}
    ir, config = model_and_config(spec, model, flags, sets)
    from archdsl.train.errors import TrainError
    from archdsl.train.evaluate import evaluate_weights

    try:
        result = evaluate_weights(ir, config, weights)
    except TrainError as exc:
        fail(str(exc), 1)
        return
    shown = [
        f"accuracy {value:.2%}" if name == "acc" else f"{name} {value:.4f}"
        for name, value in result.metrics.items()
    ]
    out.print(
        f"{ir.name} on {result.dataset} (held out, {result.count:,} samples): "
        f"loss {result.loss:.4f}, " + ", ".join(shown)
    )
