"""The interface every task gives the training loop."""

from __future__ import annotations

from typing import Protocol

import torch


class Task(Protocol):
    # The metrics it reports, by name; the first is the one the best checkpoint follows.
    names: tuple[str, ...]
    # How each is shown: as a percentage, or as a plain number.
    percent: bool

    def width(self, output: tuple[int, ...]) -> int:
        """How many sums `sums` gives for a model with this output shape."""
        ...

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The batch's mean loss, computed in float32."""
        ...

    def sums(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the batch adds to the metrics' sums: a float64 vector on its device."""
        ...

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        """Each metric, from the sums of any number of batches of `count` samples in all."""
        ...


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0
