"""`archdsl predict`: trained weights on images, .npy arrays or CSV rows; what they predict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import err, fail, out, require_folder_of
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
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write every input's whole output: .npy (one array) or .csv (a row each).",
        ),
    ] = None,
) -> None:
    """Print the most likely classes, a regression's values or a segmentation's class
    histogram for each input; --output writes the outputs whole."""
    ir = load_model(spec, model)
    if output is not None:
        require_folder_of(output)
    from archdsl.train.errors import TrainError
    from archdsl.train.predict import Predictor
    from archdsl.train.predict_output import check_output_file, describe, write_outputs

    try:
        predictor = Predictor(ir, weights)
        if output is not None:
            check_output_file(output, predictor)
        samples = [s for path in inputs for s in predictor.samples(path)]
        if not samples:
            fail(f"no samples in {', '.join(map(str, inputs))}", 1)
        predictions = predictor.predict(samples)
        if output is not None:
            write_outputs(output, predictor, predictions)
    except TrainError as exc:
        fail(str(exc), 1)
    for p in predictions:
        out.print(f"{p.name}: {describe(predictor, p, top)}", markup=False, highlight=False)
    if output is not None:
        shape = [len(predictions), *predictions[0].output.shape]
        err.print(f"wrote {shape} -> {output}", markup=False, highlight=False, soft_wrap=True)
