"""Augmentation of whole batches with tensor ops, on whatever device holds the batch.

Each augmentation draws its random numbers for a batch on the CPU from the
epoch's generator, then applies them on the batch's device: the same seed
gives the same images on a CPU and a GPU, a resumed run redraws exactly
what it would have, and under DDP every process draws for the whole global
batch and applies its own slice, so N processes see what one would.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
import torch.nn.functional as F

from archdsl.train.boxes import box_mask
from archdsl.train.config import Augment, Crop, Cutout, Erase, Flip, Mixup
from archdsl.train.mix import Mixing, RandomCutMix, RandomMixup


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
        sizes = torch.full_like(params, self.size)
        hole = box_mask(torch.cat([params, sizes], 1), x.shape[2], x.shape[3])
        return x.masked_fill(hole[:, None], 0.0)


class RandomErase:
    """Zero a rectangle of random area and aspect ratio in each chosen image.

    Where torchvision draws again until the rectangle fits, this clips its sides to
    the image: one draw per image keeps the draws a fixed number per batch.
    """

    def __init__(self, config: Erase, height: int, width: int) -> None:
        self.config = config
        self.height, self.width = height, width

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        c = self.config
        chosen = torch.rand(n, generator=gen) < c.p
        area = (c.area[0] + (c.area[1] - c.area[0]) * torch.rand(n, generator=gen)) * (
            self.height * self.width
        )
        low, high = math.log(c.ratio[0]), math.log(c.ratio[1])
        ratio = torch.exp(low + (high - low) * torch.rand(n, generator=gen))  # width / height
        h = (area / ratio).sqrt().round().clamp(1, self.height).long()
        w = (area * ratio).sqrt().round().clamp(1, self.width).long()
        top = (torch.rand(n, generator=gen) * (self.height - h + 1)).long()
        left = (torch.rand(n, generator=gen) * (self.width - w + 1)).long()
        return torch.stack([top, left, h * chosen, w * chosen], 1)  # an image not chosen: 0x0

    def apply(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(box_mask(params, x.shape[2], x.shape[3])[:, None], 0.0)


def augmentations(
    configs: list[Augment], sample_shape: tuple[int, ...], classes: int
) -> list[Augmentation | Mixing]:
    """The augmentations of a data config, for samples of `sample_shape` ([C, H, W] for
    all but mixup) and a model scoring `classes` classes."""
    out: list[Augmentation | Mixing] = []
    for config in configs:
        if isinstance(config, Mixup):
            out.append(RandomMixup(config, classes))
            continue
        height, width = sample_shape[1], sample_shape[2]
        if isinstance(config, Crop):
            out.append(RandomCrop(config, height, width))
        elif isinstance(config, Flip):
            out.append(RandomFlip(config))
        elif isinstance(config, Cutout):
            out.append(RandomCutout(config, height, width))
        elif isinstance(config, Erase):
            out.append(RandomErase(config, height, width))
        else:
            out.append(RandomCutMix(config, classes, height, width))
    return out
