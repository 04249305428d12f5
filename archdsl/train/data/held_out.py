"""A fixed, stratified held-out split for datasets that come without one."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import torch

from archdsl.train.data.base import LoadedData, SampleIds, Split
from archdsl.train.errors import DataError

# The split never depends on the run's seed: every run holds out the same samples.
SPLIT_SEED = 0


def split(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    val: float,
    scale: float,
    task: str = "classification",
    source: str | None = None,
) -> LoadedData:
    """Hold out a `val` fraction (of every class, for classification), the same every time.

    `source` names where the samples came from (default: `name`); each sample's
    id is its index there.
    """
    train, held = split_indices(name, y, val, by_class=task == "classification")
    classes = int(y.max()) + 1 if task == "classification" else _width(y, task)
    return LoadedData(
        name=name,
        train=as_split(x[train], y[train]),
        val=as_split(x[held], y[held]),
        classes=classes,
        scale=scale,
        ids=SampleIds(source or name, train, held),
    )


def _width(y: np.ndarray, task: str) -> int:
    """Labels of a multi-label set, classes of a segmentation set, outputs of a regression."""
    if task == "segmentation":
        return int(y.max()) + 1
    return int(np.prod(y.shape[1:])) if y.ndim > 1 else 1


def split_indices(
    name: str, y: np.ndarray, val: float, by_class: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The indices of the training and the held-out samples, stratified by class."""
    selection = sklearn(name, "model_selection")
    try:
        train, held = selection.train_test_split(
            np.arange(len(y)),
            test_size=val,
            random_state=SPLIT_SEED,
            stratify=y if by_class else None,
        )
    except ValueError as exc:  # too few samples of a class to hold any out
        raise DataError(f"cannot hold out {val} of {name}: {exc}") from None
    return train, held


def sklearn(dataset: str, module: str) -> Any:
    """A scikit-learn module, or a DataError saying how to install it."""
    try:
        return importlib.import_module(f"sklearn.{module}")
    except ImportError:
        raise DataError(f"{dataset} needs scikit-learn: pip install 'archdsl[train]'") from None


def as_split(x: np.ndarray, y: np.ndarray) -> Split:
    """Samples and targets as tensors: 8-bit images stay 8-bit, the rest float32;
    integer targets (classes, masks) int64, the rest float32."""
    dtype = np.uint8 if x.dtype == np.uint8 else np.float32
    target = torch.int64 if y.dtype.kind in "iub" else torch.float32
    return Split(
        torch.from_numpy(np.ascontiguousarray(x, dtype=dtype)),
        torch.as_tensor(np.ascontiguousarray(y), dtype=target),
    )
