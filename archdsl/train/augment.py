"""Augmentation of whole batches with tensor ops, on whatever device holds the batch.

Each augmentation draws its random numbers for a batch on the CPU from the
epoch's generator, then applies them on the batch's device: the same seed
gives the same images on a CPU and a GPU, a resumed run redraws exactly
what it would have, and under DDP every process draws for the whole global
batch and applies its own slice, so N processes see what one would.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F

from archdsl.train.config import Crop, Cutout, Flip


class Augmentation(Protocol):
    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """Random parameters for `n` images, one row each."""
        ...

    def apply(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """The augmented batch [N, C, H, W]; `params` already on its device."""
        ...


class RandomCrop:
    """Zero-pad by `padding`, then take a `size` window at a random place."""

    def __init__(self, config: Crop, height: int, width: int) -> None:
        self.size = config.size
        self.padding = config.padding
        self.room = (
            height + 2 * config.padding - config.size[0] + 1,
            width + 2 * config.padding - config.size[1] + 1,
        )

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        top = torch.randint(self.room[0], (n,), generator=gen)
        left = torch.randint(self.room[1], (n,), generator=gen)
        return torch.stack([top, left], 1)

    def apply(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        p = self.padding
        padded = F.pad(x, (p, p, p, p)) if p else x
        n, c = x.shape[:2]
        rows = params[:, :1] + torch.arange(self.size[0], device=x.device)  # [N, h]
        cols = params[:, 1:] + torch.arange(self.size[1], device=x.device)  # [N, w]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        channel = torch.arange(c, device=x.device)[None, :, None, None]
        return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


class RandomFlip:
    """Mirror left to right with probability `p`."""

    def __init__(self, config: Flip) -> None:
        self.p = config.p

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return (torch.rand(n, 1, generator=gen) < self.p).to(torch.uint8)

    def apply(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return torch.where(params.bool()[:, :, None, None], x.flip(3), x)


class RandomCutout:
    """Zero a `size` square centred at a random pixel (clipped at the borders)."""

    def __init__(self, config: Cutout, height: int, width: int) -> None:
        self.size = config.size
        self.height, self.width = height, width

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        y = torch.randint(self.height, (n,), generator=gen)
        x = torch.randint(self.width, (n,), generator=gen)
        return torch.stack([y, x], 1) - self.size // 2  # top-left corners

    def apply(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        rows = torch.arange(x.shape[2], device=x.device)
        cols = torch.arange(x.shape[3], device=x.device)
        top, left = params[:, :1], params[:, 1:]
        inside_rows = (rows >= top) & (rows < top + self.size)  # [N, H]
        inside_cols = (cols >= left) & (cols < left + self.size)  # [N, W]
        hole = inside_rows[:, :, None] & inside_cols[:, None, :]
        return x.masked_fill(hole[:, None], 0.0)


def augmentations(
    configs: list[Crop | Flip | Cutout], sample_shape: tuple[int, ...]
) -> list[Augmentation]:
    """The augmentations of a data config, for images of `sample_shape` [C, H, W]."""
    out: list[Augmentation] = []
    for config in configs:
        if isinstance(config, Crop):
            out.append(RandomCrop(config, sample_shape[1], sample_shape[2]))
        elif isinstance(config, Flip):
            out.append(RandomFlip(config))
        else:
            out.append(RandomCutout(config, sample_shape[1], sample_shape[2]))
    return out
