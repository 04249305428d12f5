"""Data handed to `archdsl.fit` from Python: arrays, a torch Dataset or a DataLoader.

Arrays (NumPy or torch, `(x, y)`) are held in memory like a built-in dataset
and fingerprinted, so a resume on other arrays is refused. A Dataset is
streamed through DataLoader workers, in the run's own seeded order; a
DataLoader gives its dataset, worker count and collate function (its sampler
and batch size are the run's). Without `val`, a fixed share of the samples
is held out: by class for arrays, at random (fixed seed) for a Dataset.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from archdsl.train.config import Given
from archdsl.train.data.arrays import checked_pair, own_split
from archdsl.train.data.base import LoadedData, Stream
from archdsl.train.data.held_out import SPLIT_SEED, split
from archdsl.train.errors import DataError

ArrayPair = tuple[Any, Any] | list[Any]


def load(
    config: Given, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    raise DataError(
        "data `python` is given from Python: archdsl.fit(spec, data=(x, y)) or a Dataset"
    )


def from_python(
    data: Any, val: Any, fraction: float, output: tuple[int, ...], task: str
) -> tuple[LoadedData, dict[str, Any]]:
    """The data as a run reads it, and the `python(...)` data config that describes it."""
    if isinstance(data, tuple | list) and len(data) == 2 and not isinstance(data[0], Dataset):
        return _arrays(data, val, fraction, task)
    if isinstance(data, Dataset | DataLoader):
        return _dataset(data, val, fraction, output, task)
    raise DataError(
        f"cannot train on a {type(data).__name__}: give a dataset's name, (x, y) arrays, "
        "a torch Dataset or a DataLoader"
    )


def _arrays(
    data: ArrayPair, val: Any, fraction: float, task: str
) -> tuple[LoadedData, dict[str, Any]]:
    x, y = _pair(data, "data", task)
    digest = hashlib.sha256()
    for a in (x, y):
        digest.update(str((a.dtype, a.shape)).encode())
        digest.update(np.ascontiguousarray(a).tobytes())
    if val is None:
        loaded = split("arrays", x, y, fraction, 255.0 if x.dtype == np.uint8 else 1.0, task)
    else:
        x_val, y_val = _pair(val, "val", task)
        digest.update(np.ascontiguousarray(x_val).tobytes())
        digest.update(np.ascontiguousarray(y_val).tobytes())
        loaded = own_split("arrays", (x, y), (x_val, y_val), task, "`val`", "python")
    config = {"kind": "python", "name": "arrays", "samples": len(loaded.train)}
    config["digest"] = digest.hexdigest()
    return loaded, config


def _pair(data: Any, what: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise DataError(f"`{what}` must be a pair (x, y) of arrays")
    x, y = (a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a for a in data)
    return checked_pair(x, y, f"`{what}`", task)


def _dataset(
    data: Dataset[Any] | DataLoader[Any],
    val: Any,
    fraction: float,
    output: tuple[int, ...],
    task: str,
) -> tuple[LoadedData, dict[str, Any]]:
    classes = 2 if output == (1,) and task == "classification" else output[0]
    train, workers, collate = _unpack(data)
    if val is None:
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(SPLIT_SEED))  # type: ignore[arg-type]
        held = max(1, round(fraction * len(order)))
        val_set: Dataset[Any] = Subset(train, order[:held].sort().values.tolist())
        train = Subset(train, order[held:].sort().values.tolist())
    else:
        val_set, _, _ = _unpack(val)
    name = type(train.dataset if isinstance(train, Subset) else train).__name__
    loaded = LoadedData(
        name,
        Stream(train, workers, collate, classes if task == "classification" else None),
        Stream(val_set, workers, collate, classes if task == "classification" else None),
        classes,
        scale=1.0,
    )
    return loaded, {"kind": "python", "name": name, "samples": len(train)}  # type: ignore[arg-type]


def _unpack(data: Any) -> tuple[Dataset[Any], int | None, Any]:
    if isinstance(data, DataLoader):
        if data.batch_size is None:
            raise DataError(
                "a DataLoader with a batch sampler of its own cannot be trained on: "
                "the run draws every batch itself; pass the Dataset instead"
            )
        return data.dataset, data.num_workers, data.collate_fn
    if isinstance(data, Dataset):
        return data, None, None
    raise DataError(f"`val` must be like `data`, got a {type(data).__name__}")
