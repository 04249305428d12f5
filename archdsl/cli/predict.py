"""`archdsl predict`: trained weights on images, .npy arrays or CSV rows; the top classes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out
from archdsl.cli.spec_input import load_model


def predict(
    spec: Annotated[Path, typer.Argument(help="The .arch file of the model.", show_default=False)],
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Images, .npy arrays or .csv files of rows.", show_default=False),
    ],
    weights: Annotated[
        Path, typer.Option("--weights", help="A .safetensors file from a run.", show_default=False)
    ],
    model: Annotated[str | None, typer.Option("--model", help="Which model of the file.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Classes shown per input.")] = 5,
) -> None:
    """Print the most likely classes (or the outputs) for each input."""
    ir = load_model(spec, model)
    from archdsl.train.errors import TrainError
    from archdsl.train.predict import Predictor

    try:
        predictor = Predictor(ir, weights)
        samples = [s for path in inputs for s in predictor.samples(path)]
        predictions = predictor.predict(samples)
    except TrainError as exc:
        fail(str(exc), 1)
    for p in predictions:
        if predictor.task == "classification":
            ranked = sorted(range(len(p.scores)), key=lambda i: -p.scores[i])[:top]
            shown = ", ".join(f"{predictor.name(i)} {p.scores[i]:.2%}" for i in ranked)
        else:
            shown = " ".join(f"{v:.6g}" for v in p.scores[:top]) + (
                " ..." if len(p.scores) > top else ""
            )
        out.print(f"{p.name}: {shown}", markup=False, highlight=False)
