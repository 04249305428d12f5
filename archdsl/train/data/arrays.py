"""NumPy arrays from disk: `arrays("data.npz")` or `arrays("folder")` with x.npy, y.npy.

`x` holds one sample per row (images [N, C, H, W] as uint8 or float, tables
[N, F]); `y` one class index per sample. `x_val` and `y_val` beside them
give a held-out split of one's own; without them `val` of each class is held
out. Files are read with `allow_pickle=False`: a data file runs no code.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from archdsl.train.config import Arrays
from archdsl.train.data.base import LoadedData, SampleIds
from archdsl.train.data.held_out import as_split, split
from archdsl.train.errors import DataError

NAMES = ("x", "y", "x_val", "y_val")


def load(
    config: Arrays, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    found = read(Path(config.path))
    x, y = checked_pair(found["x"], found["y"], config.path, task)
    if "x_val" not in found:
        return split("arrays", x, y, config.val, _scale(x), task, source(config.path))
    where = f"{config.path} (x_val, y_val)"
    x_val, y_val = checked_pair(found["x_val"], found["y_val"], where, task)
    return own_split("arrays", (x, y), (x_val, y_val), task, where, source(config.path))


def own_split(
    name: str,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    task: str,
    where: str,
    source: str,
) -> LoadedData:
    """Training and held-out arrays given apart, checked to be shaped alike."""
    (x, y), (x_val, y_val) = train, val
    for a, b, what in ((x, x_val, "samples"), (y, y_val, "targets")):
        if a.shape[1:] != b.shape[1:]:
            raise DataError(
                f"{where}: the held-out {what} are shaped {list(b.shape[1:])}, "
                f"the training {what} {list(a.shape[1:])}"
            )
    if task in ("classification", "segmentation"):
        classes = int(max(y.max(initial=0), y_val.max(initial=0))) + 1
    else:  # outputs of a regression, labels of a multi-label set
        classes = int(np.prod(y.shape[1:]))
    ids = SampleIds(source, np.arange(len(x)), np.arange(len(x), len(x) + len(x_val)))
    return LoadedData(name, as_split(x, y), as_split(x_val, y_val), classes, _scale(x), ids=ids)


def source(path: str) -> str:
    """A file dataset's identity: its kind and where it lies."""
    return f"arrays:{Path(path).resolve()}"


def _scale(x: np.ndarray) -> float:
    return 255.0 if x.dtype == np.uint8 else 1.0


def read(path: Path) -> dict[str, np.ndarray]:
    """x and y (and x_val, y_val if there) from an .npz file or a folder of .npy files."""
    try:
        if path.is_dir():
            found = {n: np.load(path / f"{n}.npy") for n in NAMES if (path / f"{n}.npy").is_file()}
        elif path.is_file():
            with np.load(path) as archive:
                found = {n: archive[n] for n in NAMES if n in archive.files}
        else:
            raise DataError(f"no such file or folder: {path}")
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not readable as NumPy arrays ({exc})") from None
    if "x" not in found or "y" not in found:
        raise DataError(f"{path} must hold arrays `x` and `y` (x.npy and y.npy in a folder)")
    if ("x_val" in found) != ("y_val" in found):
        raise DataError(f"{path} must hold `x_val` and `y_val` together")
    return found


# What each task's targets are: the dimensions of one sample's target, and its kind.
TARGETS = {
    "classification": ("one class index per sample", (0,), "iu"),
    "regression": ("numbers", (0, 1, 2, 3), "fiu"),
    "multilabel": ("one 0/1 row of labels per sample", (1,), "iub"),
    "segmentation": ("one mask of class indices [H, W] per sample", (2,), "iu"),
}


def checked_pair(x: Any, y: Any, what: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    """`(x, y)` as NumPy arrays of samples and targets fit for `task`, or a DataError."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2:
        raise DataError(f"{what}: x must hold one sample per row, got shape {list(x.shape)}")
    if x.dtype.kind not in "fiub":
        raise DataError(f"{what}: x must hold numbers, got {x.dtype}")
    wanted, dims, kinds = TARGETS[task]
    if y.ndim == 0 or len(y) != len(x) or y.ndim - 1 not in dims:
        raise DataError(
            f"{what}: {len(x)} samples but targets of shape {list(y.shape)}; {task} needs {wanted}"
        )
    if y.dtype.kind not in kinds:
        raise DataError(f"{what}: {task} needs {wanted}, got {y.dtype} values")
    if y.dtype.kind in "iu" and task != "regression" and y.size and y.min() < 0:
        raise DataError(f"{what}: labels must be 0 or more, found {int(y.min())}")
    if task == "multilabel" and y.size and not np.isin(y, (0, 1)).all():
        raise DataError(f"{what}: multi-label targets must be 0 or 1")
    return x, y
