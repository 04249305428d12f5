"""CIFAR-10 from the official python batches (`cifar-10-batches-py`).

Five training batches and one test batch, each a pickled dict with `data`
(N x 3072 uint8, the red, green and blue planes of 32x32 images) and `labels`.
The test batch is the held-out split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from archdsl.train.config import Cifar10
from archdsl.train.data.base import LoadedData, SampleIds, Split
from archdsl.train.data.cifar10_files import TEST_FILE, TRAIN_FILES, batches_folder, default_root
from archdsl.train.data.safe_pickle import load_arrays
from archdsl.train.errors import DataError

CLASSES = 10


def load(
    config: Cifar10, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    folder = batches_folder(Path(config.path) if config.path else default_root())
    train = [read_batch(folder / name) for name in TRAIN_FILES]
    test = read_batch(folder / TEST_FILE)
    count = sum(len(b) for b in train)
    return LoadedData(
        name="cifar10",
        train=Split(torch.cat([b.x for b in train]), torch.cat([b.y for b in train])),
        val=test,
        classes=CLASSES,
        scale=255.0,
        # The test batch follows the training batches: their ids never meet.
        ids=SampleIds(
            f"cifar10:{folder.resolve()}", np.arange(count), np.arange(count, count + len(test))
        ),
    )


def read_batch(path: Path) -> Split:
    """One batch file as uint8 images [N, 3, 32, 32] and labels; DataError naming the file."""
    if not path.is_file():
        raise DataError(
            f"CIFAR-10 file not found: {path}\n"
            "  download the dataset with `archdsl data cifar10`, then point --data or "
            "$ARCHDSL_DATA at the folder that holds cifar-10-batches-py"
        )
    try:
        batch = load_arrays(path)
    except Exception as exc:  # a damaged pickle fails in many ways; all mean the same
        raise DataError(f"{path} is not a readable CIFAR-10 batch ({exc})") from None
    data, labels = _fields(batch, path)
    images = torch.from_numpy(np.ascontiguousarray(data).reshape(-1, 3, 32, 32))
    return Split(images, torch.as_tensor(labels, dtype=torch.int64))


def _fields(batch: Any, path: Path) -> tuple[np.ndarray, np.ndarray]:
    def bad(why: str) -> DataError:
        return DataError(f"{path} is not a CIFAR-10 batch: {why}")

    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise bad("it holds no `data` and `labels`")
    data, labels = batch[b"data"], np.asarray(batch[b"labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise bad("`data` is not an array of 8-bit pixels, one row per image")
    if data.shape[1] != 3 * 32 * 32:
        raise bad(f"its images have {data.shape[1]} values, not 3 x 32 x 32 = 3072")
    if labels.shape != (data.shape[0],) or labels.dtype.kind not in "iu":
        raise bad(f"it has {data.shape[0]} images but labels of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= CLASSES):
        raise bad(f"labels must lie in 0..{CLASSES - 1}")
    return data, labels
