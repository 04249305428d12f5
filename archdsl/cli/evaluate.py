"""`archdsl eval`: a trained model's loss and accuracy on the held-out data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archdsl.cli.console import fail, out
from archdsl.cli.needs import require_torch
from archdsl.cli.run_config import model_and_config

if TYPE_CHECKING:
    from archdsl.train.confusion import Confusion


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
    confusion_png: Annotated[
        Path | None,
        typer.Option(
            "--confusion",
            help="Where to draw the confusion matrix [default: confusion.png beside the weights].",
            show_default=False,
        ),
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
    shown = [
        f"accuracy {value:.2%}" if name == "acc" else f"{name} {value:.4f}"
        for name, value in result.metrics.items()
    ]
    found = result.confusion
    if found is not None:
        shown.append(f"top-5 {found.top5:.2%}")
    out.print(
        f"{ir.name} on {result.dataset} (held out, {result.count:,} samples): "
        f"loss {result.loss:.4f}, " + ", ".join(shown)
    )
    if found is not None:
        report_confusion(found, result.class_names, ir.name, confusion_png or weights.parent)


def report_confusion(found: Confusion, names: list[str] | None, title: str, where: Path) -> None:
    """Per-class precision and recall, the matrix, and confusion.png."""
    from rich.table import Table

    from archdsl.train.confusion import draw

    labels = names or [str(i) for i in range(len(found.matrix))]
    table = Table(title="per class", title_justify="left")
    for column in ("class", "precision", "recall", "samples"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for i, name in enumerate(labels):
        support = int(found.matrix[i].sum())
        table.add_row(name, f"{found.precision[i]:.2%}", f"{found.recall[i]:.2%}", f"{support:,}")
    out.print(table)
    if len(labels) <= 20:
        matrix = Table(
            title="confusion (rows: true class, columns: predicted)", title_justify="left"
        )
        matrix.add_column("")
        for name in labels:
            matrix.add_column(name, justify="right")
        for name, row in zip(labels, found.matrix, strict=True):
            matrix.add_row(name, *(str(int(n)) for n in row))
        out.print(matrix)
    path = where / "confusion.png" if where.is_dir() else where
    if draw(found, labels, title, path):
        out.print(f"confusion matrix: {path}")
