"""A fixed, stratified held-out split for datasets that come without one."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import torch

from archdsl.train.data.base import LoadedData, Split
from archdsl.train.errors import DataError

# The split never depends on the run's seed: every run holds out the same samples.
SPLIT_SEED = 0


def split(name: str, x: np.ndarray, y: np.ndarray, val: float, scale: float) -> LoadedData:
    """Hold out a `val` fraction of every class, the same one every time."""
    selection = sklearn(name, "model_selection")
    try:
        x_train, x_val, y_train, y_val = selection.train_test_split(
            x, y, test_size=val, random_state=SPLIT_SEED, stratify=y
        )
    except ValueError as exc:  # too few samples of a class to hold any out
        raise DataError(f"cannot hold out {val} of {name}: {exc}") from None
    return LoadedData(
        name=name,
        train=Split(_tensor(x_train), torch.as_tensor(y_train, dtype=torch.int64)),
        val=Split(_tensor(x_val), torch.as_tensor(y_val, dtype=torch.int64)),
        classes=int(y.max()) + 1,
        scale=scale,
    )


def sklearn(dataset: str, module: str) -> Any:
    """A scikit-learn module, or a DataError saying how to install it."""
    try:
        return importlib.import_module(f"sklearn.{module}")
    except ImportError:
        raise DataError(f"{dataset} needs scikit-learn: pip install 'archdsl[train]'") from None


def _tensor(x: np.ndarray) -> torch.Tensor:
    """8-bit images stay 8-bit; anything else becomes float32."""
    dtype = np.uint8 if x.dtype == np.uint8 else np.float32
    return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype))
