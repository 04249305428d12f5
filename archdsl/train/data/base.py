"""What every dataset loader returns: the two splits, and how to scale them.

A split is held whole in memory as two tensors (`Split`), or read one sample
at a time from a `torch.utils.data.Dataset` by DataLoader workers (`Stream`):
decoding and resizing images on the fly, for sets too large for memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


@dataclass
class Split:
    x: torch.Tensor  # uint8 images [N, C, H, W], or float32 samples
    y: torch.Tensor  # int64 class indices [N]

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])


@dataclass
class Stream:
    """Samples `(x, y)` read by index from `dataset`, batched by DataLoader workers."""

    dataset: Dataset[Any]
    # Worker processes; None lets the run decide (see `stream.workers`).
    workers: int | None = None
    collate: Callable[[list[Any]], Any] | None = None
    classes: int | None = None  # labels are checked against it as batches arrive
    _shape: tuple[int, ...] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of the first sample (read once): every sample must share it."""
        if self._shape is None:
            x = self.dataset[0][0]
            self._shape = tuple(torch.as_tensor(x).shape)
        return self._shape


@dataclass(frozen=True)
class SampleIds:
    """Which samples of which source each split holds: what `eval` compares to refuse
    scoring weights on samples they were trained on."""

    source: str  # the dataset and where it was read from
    train: np.ndarray  # an id per training sample, unique within the source
    val: np.ndarray


@dataclass
class LoadedData:
    name: str
    train: Split | Stream
    val: Split | Stream
    classes: int
    # Raw values divided by `scale` lie in [0, 1]: 255 for 8-bit images, 1 for tables.
    scale: float
    class_names: list[str] | None = None
    target_names: list[str] | None = None  # a regression's outputs, where the data names them
    ids: SampleIds | None = None  # None: nothing to compare (data given from Python)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.train.sample_shape
