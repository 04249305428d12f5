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
from archdsl.train.data.base import LoadedData
from archdsl.train.data.held_out import as_split, split
from archdsl.train.errors import DataError

NAMES = ("x", "y", "x_val", "y_val")


def load(config: Arrays, model_input: tuple[int, ...], output: tuple[int, ...]) -> LoadedData:
    found = read(Path(config.path))
    x, y = checked_pair(found["x"], found["y"], config.path)
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    if "x_val" not in found:
        return split("arrays", x, y, config.val, scale)
    x_val, y_val = checked_pair(found["x_val"], found["y_val"], f"{config.path} (x_val, y_val)")
    if x_val.shape[1:] != x.shape[1:]:
        raise DataError(
            f"{config.path}: x_val's samples are shaped {list(x_val.shape[1:])}, "
            f"x's {list(x.shape[1:])}"
        )
    classes = int(max(y.max(initial=0), y_val.max(initial=0))) + 1
    return LoadedData("arrays", as_split(x, y), as_split(x_val, y_val), classes, scale)


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


def checked_pair(x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """`(x, y)` as NumPy arrays of samples and class indices, or a DataError saying why not."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2:
        raise DataError(f"{what}: x must hold one sample per row, got shape {list(x.shape)}")
    if y.shape != (len(x),):
        raise DataError(
            f"{what}: {len(x)} samples but labels of shape {list(y.shape)}; give one per sample"
        )
    if y.dtype.kind not in "iu":
        raise DataError(f"{what}: labels must be class indices (integers), got {y.dtype}")
    if len(y) and y.min() < 0:
        raise DataError(f"{what}: labels must be 0 or more, found {int(y.min())}")
    if x.dtype.kind not in "fiub":
        raise DataError(f"{what}: x must hold numbers, got {x.dtype}")
    return x, y.astype(np.int64)
