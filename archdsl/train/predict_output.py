"""What `predict` shows of each prediction, and the file `--output` writes of them all.

A line per input: the `top` classes with their probabilities; the labels a
multi-label model finds present; a
regression's every value, by target name where the weights know it; a
segmentation's class histogram (pixels of the predicted mask per class).
The file holds every value: `.npy`, one array stacking the inputs' outputs,
or `.csv`, a row per input, for outputs that are one value per class or target.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from archdsl.train.atomic import write_durable
from archdsl.train.errors import DataError
from archdsl.train.predict import Prediction, Predictor

SUFFIXES = (".npy", ".csv")


def describe(predictor: Predictor, prediction: Prediction, top: int) -> str:
    """One input's prediction, as `predict` prints it after the input's name."""
    output = prediction.output
    if predictor.task == "segmentation":
        return _histogram(predictor, output)
    if predictor.task == "regression":
        if predictor.target_names is None:
            return " ".join(f"{v:.6g}" for v in output.flat)
        names = predictor.columns(output.size)
        return ", ".join(f"{n} {v:.6g}" for n, v in zip(names, output.flat, strict=True))
    scores = output.flatten()
    ranked = np.argsort(-scores, kind="stable")
    if predictor.task == "multilabel":
        return _labels(predictor, scores, ranked, top)
    return ", ".join(_scored(predictor, scores, int(i)) for i in ranked[:top])


def _labels(predictor: Predictor, scores: np.ndarray, ranked: np.ndarray, top: int) -> str:
    """A multi-label prediction: the labels it finds present (probability above
    one half, as the `f1` and `label_acc` metrics count them), most likely
    first, at most `top` of them, and how many there are."""
    present = [int(i) for i in ranked if scores[i] > 0.5]
    if not present:
        best = int(ranked[0])
        return f"no label (most likely: {_scored(predictor, scores, best)})"
    shown = ", ".join(_scored(predictor, scores, i) for i in present[:top])
    return f"{shown} ({len(present)} of {scores.size} labels)"


def _scored(predictor: Predictor, scores: np.ndarray, index: int) -> str:
    """`cat 93.10%`: a class or label by name, with its probability."""
    return f"{predictor.name(index)} {scores[index]:.2%}"


def _histogram(predictor: Predictor, scores: np.ndarray) -> str:
    """How many pixels of the predicted mask (the best class per pixel) each class has."""
    mask = scores.argmax(0)
    counts = np.bincount(mask.ravel(), minlength=scores.shape[0])
    shares = ", ".join(
        f"{predictor.name(k)} {int(n)} ({n / mask.size:.1%})" for k, n in enumerate(counts)
    )
    return f"{shares} of {mask.size} pixels"


def check_output_file(path: Path, predictor: Predictor) -> None:
    """Refuse, before any input is read, a file `write_outputs` could not write."""
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: write the outputs to a .npy or a .csv file")
    shape = predictor.model.output
    if path.suffix.lower() == ".csv" and len(shape) != 1:
        raise DataError(
            f"{path}: a CSV row per input takes one value per class or target, but model "
            f"`{predictor.model.name}` gives [{', '.join(map(str, shape))}] per input; "
            "write a .npy file"
        )


def write_outputs(path: Path, predictor: Predictor, predictions: list[Prediction]) -> None:
    """Every prediction's output, whole, in the file `path` (`.npy` or `.csv`)."""
    stacked = np.stack([p.output for p in predictions])
    if path.suffix.lower() == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, stacked, allow_pickle=False)
        data = buffer.getvalue()
    else:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["input", *predictor.columns(stacked.shape[1])])
        # Nine significant digits give a float32 back exactly.
        writer.writerows(
            [p.name, *(f"{v:.9g}" for v in row)]
            for p, row in zip(predictions, stacked, strict=True)
        )
        data = text.getvalue().encode()
    try:
        write_durable(path, data)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
