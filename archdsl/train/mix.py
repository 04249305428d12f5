"""Mixup and cutmix: augmentations that mix two samples of a batch, and their labels.

They follow the design of `augment`: their random numbers are drawn for the
whole global batch from the epoch's generator, so they are a function of the
seed and the epoch, and a resumed run redraws them exactly. Each sample is
mixed with its neighbour in the shuffled batch (0 with 1, 2 with 3, ...; the
order is random, so the partner is too), which keeps every pair inside one
process's share of the batch when the shares are even: N processes mix as one
does. The labels become soft targets, one weight per class, mixed by the
share each sample has in the result: `lam * one_hot(a) + (1 - lam) * one_hot(b)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import torch
import torch.nn.functional as F

from archdsl.train.boxes import box_mask
from archdsl.train.config import MIXING, Augment, CutMix, Mixup
from archdsl.train.errors import TrainError


class Mixing(ABC):
    """An augmentation of samples and their targets together."""

    classes: int

    @abstractmethod
    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """Random parameters for `n` samples, one row each."""

    @abstractmethod
    def mix(
        self, x: torch.Tensor, target: torch.Tensor, params: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The mixed batch and its mixed soft targets [N, K]."""


def partners(n: int, device: torch.device) -> torch.Tensor:
    """Each sample's partner: its neighbour in its pair; the last of an odd batch, itself."""
    index = torch.arange(n, device=device) ^ 1
    return index.clamp_max(n - 1)


def soft_targets(y: torch.Tensor, classes: int) -> torch.Tensor:
    """Class indices as one-hot rows, which mixing then blends."""
    return F.one_hot(y.long(), classes).float()


def beta(alpha: float, n: int, gen: torch.Generator) -> torch.Tensor:
    """`n` draws of Beta(alpha, alpha), following from `gen` (torch's Beta takes no generator)."""
    seed = int(torch.randint(2**62, (1,), generator=gen))
    return torch.from_numpy(np.random.default_rng(seed).beta(alpha, alpha, n)).float()


def blend(target: torch.Tensor, lam: torch.Tensor, partner: torch.Tensor) -> torch.Tensor:
    """`lam` of each row's own target and the rest of its partner's."""
    share = lam[:, None]
    return share * target + (1 - share) * target[partner]


class RandomMixup(Mixing):
    """Blend each chosen sample with its partner: `lam * x + (1 - lam) * x_partner`."""

    def __init__(self, config: Mixup, classes: int) -> None:
        self.config = config
        self.classes = classes

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        chosen = torch.rand(n, generator=gen) < self.config.p
        lam = beta(self.config.alpha, n, gen)
        return torch.where(chosen, lam, torch.ones(n))  # lam: each sample's own share

    def mix(
        self, x: torch.Tensor, target: torch.Tensor, params: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        partner = partners(len(x), x.device)
        lam = params.to(x.dtype).reshape(-1, *[1] * (x.dim() - 1))
        return lam * x + (1 - lam) * x[partner], blend(target, params, partner)


class RandomCutMix(Mixing):
    """Paste a box of each chosen image's partner into it; its label weighs by the box."""

    def __init__(self, config: CutMix, classes: int, height: int, width: int) -> None:
        self.config = config
        self.classes = classes
        self.height, self.width = height, width

    def draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """Rows of (top, left, height, width) of the pasted box: `1 - lam` of the image,
        centred on a random pixel and clipped at the edges; 0x0 for a sample not chosen."""
        chosen = torch.rand(n, generator=gen) < self.config.p
        side = (1 - beta(self.config.alpha, n, gen)).sqrt()
        h = (self.height * side).long()
        w = (self.width * side).long()
        y = torch.randint(self.height, (n,), generator=gen)
        x = torch.randint(self.width, (n,), generator=gen)
        top, left = (y - h // 2).clamp(0, self.height), (x - w // 2).clamp(0, self.width)
        bottom, right = (
            (y - h // 2 + h).clamp(0, self.height),
            (x - w // 2 + w).clamp(0, self.width),
        )
        return torch.stack([top, left, (bottom - top) * chosen, (right - left) * chosen], 1)

    def mix(
        self, x: torch.Tensor, target: torch.Tensor, params: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        partner = partners(len(x), x.device)
        box = box_mask(params, x.shape[2], x.shape[3])
        mixed = torch.where(box[:, None], x[partner], x)
        lam = 1 - box.flatten(1).float().mean(1)  # the share of the image still its own
        return mixed, blend(target, lam, partner)


def check_pairs(augment: list[Augment], batch: int, processes: int) -> None:
    """Under several processes a pair must not straddle two shares of the batch."""
    mixing = any(a.kind in MIXING for a in augment)
    if processes > 1 and mixing and (batch // processes) % 2:
        raise TrainError(
            f"mixup and cutmix mix neighbouring samples in pairs; each process's share of "
            f"the batch ({batch} / {processes} = {batch // processes}) must be even"
        )
