"""What every dataset loader returns: the two splits as tensors, and how to scale them."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Split:
    x: torch.Tensor  # uint8 images [N, C, H, W], or float32 samples
    y: torch.Tensor  # int64 class indices [N]

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass
class LoadedData:
    name: str
    train: Split
    val: Split
    classes: int
    # Raw values divided by `scale` lie in [0, 1]: 255 for 8-bit images, 1 for tables.
    scale: float

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])
