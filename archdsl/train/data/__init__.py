"""Datasets, one module each, loaded into memory as tensors or streamed from disk.

Loaders import torch; this package's own import does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from archdsl.train.config import Data

if TYPE_CHECKING:
    from archdsl.train.data.base import LoadedData

_MODULES = {
    "cifar10": "cifar10",
    "digits": "sklearn_bundled",
    "breast_cancer": "sklearn_bundled",
    "iris": "sklearn_bundled",
    "diabetes": "sklearn_bundled",
    "shapes": "shapes",
    "imagefolder": "imagefolder",
    "arrays": "arrays",
    "csv": "csv_table",
    "synthetic": "synthetic",
    "python": "given",
}


def load_data(
    config: Data,
    model_input: tuple[int, ...],
    output: tuple[int, ...],
    task: str = "classification",
) -> LoadedData:
    """The dataset `config` names, its samples shaped for a model taking `model_input`.

    `task` says what the targets are: a classification split holds out a share of
    every class; other tasks' targets are numbers, label sets or masks.
    """
    module = importlib.import_module(f"archdsl.train.data.{_MODULES[config.kind]}")
    data: LoadedData = module.load(config, model_input, output, task)
    return data
