"""Trained weights on raw inputs (image files, .npy arrays, CSV rows): what `predict` prints.

Inputs are normalised as the weights' metadata says (see `shipping`): an
image file is read at the model's input size and scaled to [0, 1]; an array
or a CSV row is in the training data's raw units, divided by `raw_scale`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from archdsl.backend import build
from archdsl.ir import Model
from archdsl.train.checkpoint import load_into, read_weights
from archdsl.train.data.csv_table import read_rows
from archdsl.train.data.imagefolder import EXTENSIONS, read_image
from archdsl.train.errors import DataError, TrainError
from archdsl.train.head import final_activation


@dataclass(frozen=True)
class Sample:
    name: str  # the file, with the row or index where a file holds several
    x: np.ndarray  # float32, in [0, 1] units (raw / raw_scale), the model's input shape


@dataclass(frozen=True)
class Prediction:
    name: str
    # One sample's output, whole: probabilities for classification (over the classes)
    # and multi-label (per label), else the model's output as it is.
    output: np.ndarray


class Predictor:
    def __init__(self, model: Model, weights: Path) -> None:
        tensors, meta = read_weights(weights)
        missing = [k for k in ("raw_scale", "mean", "std", "task") if k not in meta]
        if missing:
            raise TrainError(
                f"{weights} does not say how to normalise inputs (no {', '.join(missing)} in "
                "its metadata): use weights written by `archdsl train`"
            )
        self.model = model
        self.raw_scale = float(meta["raw_scale"])
        self.mean = np.array(json.loads(meta["mean"]), np.float32)
        self.std = np.array(json.loads(meta["std"]), np.float32)
        self.task = meta["task"]
        self.class_names: list[str] | None = (
            json.loads(meta["class_names"]) if "class_names" in meta else None
        )
        self.target_names: list[str] | None = (
            json.loads(meta["target_names"]) if "target_names" in meta else None
        )
        self.module = build(model)
        load_into(self.module, tensors, weights)
        self.module.eval()
        self.activation = final_activation(model)

    def samples(self, path: Path) -> list[Sample]:
        """The samples in one input file."""
        if not path.is_file():
            raise DataError(f"no such file: {path}")
        suffix = path.suffix.lower()
        shape = self.model.input
        if suffix in EXTENSIONS:
            if len(shape) != 3 or shape[0] not in (1, 3):
                raise DataError(f"{path} is an image; model `{self.model.name}` takes {shape}")
            image = read_image(path, shape[0], (shape[1], shape[2]))
            return [Sample(str(path), image.astype(np.float32) / 255.0)]
        if suffix == ".npy":
            try:
                array = np.load(path, allow_pickle=False).astype(np.float32)
            except (OSError, ValueError) as exc:
                raise DataError(f"{path} is not a readable .npy array ({exc})") from None
            return self._rows(path, array)
        if suffix == ".csv":
            _, rows = read_rows(path)
            try:
                array = np.array([[float(v) for v in row] for row in rows], np.float32)
            except ValueError:
                raise DataError(f"{path}: every value must be a number (features only)") from None
            return self._rows(path, array, "row")
        raise DataError(
            f"{path}: give images ({', '.join(sorted(EXTENSIONS))}), .npy arrays or .csv rows"
        )

    def _rows(self, path: Path, array: np.ndarray, unit: str = "") -> list[Sample]:
        size = math.prod(self.model.input)
        if array.size == size and unit != "row":
            return [Sample(str(path), array.reshape(self.model.input) / self.raw_scale)]
        if array.ndim < 2 or math.prod(array.shape[1:]) != size:
            raise DataError(
                f"{path} holds {list(array.shape)}; model `{self.model.name}` takes "
                f"{list(self.model.input)} per sample ({size} values"
                + (" per row: features only, no target column)" if unit == "row" else ")")
            )
        rows = array.reshape(len(array), *self.model.input) / self.raw_scale
        label = "row " if unit == "row" else ""
        first = 2 if unit == "row" else 0  # a CSV's line numbers start after its header
        return [Sample(f"{path}[{label}{i + first}]", row) for i, row in enumerate(rows)]

    @torch.no_grad()
    def predict(self, samples: list[Sample]) -> list[Prediction]:
        x = torch.from_numpy(np.stack([s.x for s in samples]))
        view = [1, -1] + [1] * (x.dim() - 2)
        mean = torch.from_numpy(self.mean).reshape(view)
        std = torch.from_numpy(self.std).reshape(view)
        out = self.module(((x - mean) / std).float())
        if self.task == "classification" and out.dim() == 2:
            out = self._probabilities(out)
        elif self.task == "multilabel" and self.activation != "sigmoid":
            out = out.sigmoid()
        return [
            Prediction(s.name, o.numpy().astype(np.float32))
            for s, o in zip(samples, out, strict=True)
        ]

    def _probabilities(self, out: torch.Tensor) -> torch.Tensor:
        if out.shape[1] == 1:  # one output tells two classes apart
            p = out if self.activation == "sigmoid" else out.sigmoid()
            return torch.cat([1 - p, p], 1)
        return out if self.activation == "softmax" else out.softmax(1)

    def name(self, index: int) -> str:
        if self.class_names is not None and index < len(self.class_names):
            return self.class_names[index]
        return str(index)

    def columns(self, count: int) -> list[str]:
        """A name for each of a flat output's `count` values: its class, or its target."""
        if self.task == "regression":
            if self.target_names is not None and len(self.target_names) == count:
                return list(self.target_names)
            return [f"output_{i}" for i in range(count)]
        return [self.name(i) for i in range(count)]
