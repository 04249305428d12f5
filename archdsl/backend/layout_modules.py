"""Modules that move values between layouts: tokens, permute, reshape, select, mean, crop.

Each is self-contained (torch only) and short.
"""

from __future__ import annotations

import torch
from torch import nn


class Tokens(nn.Module):
    """[N, C, ...positions] to the sequence [N, positions, C]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


class Permute(nn.Module):
    """Reorder the axes after the batch: dims count from 0, the first after it."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = (0, *(d + 1 for d in dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.dims)


class Reshape(nn.Module):
    """The same values in a new shape after the batch."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Select(nn.Module):
    """One position of the axis after the batch (negative from its end)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.index]


class Mean(nn.Module):
    """The average over axis `dim` after the batch (negative from the end)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim + 1 if dim >= 0 else dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(self.dim)


class Crop(nn.Module):
    """`length` positions from `start` on each spatial axis of [N, C, ...]."""

    def __init__(self, start: tuple[int, ...], length: tuple[int, ...]) -> None:
        super().__init__()
        self.start = tuple(start)
        self.length = tuple(length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for axis, (a, n) in enumerate(zip(self.start, self.length, strict=True)):
            x = x.narrow(axis + 2, a, n)
        return x


class ChannelShuffle(nn.Module):
    """Interleave the channels of `groups` groups, as ShuffleNet does."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]
        rest = x.shape[2:]
        x = x.reshape(n, self.groups, c // self.groups, *rest).transpose(1, 2)
        return x.reshape(n, c, *rest)
