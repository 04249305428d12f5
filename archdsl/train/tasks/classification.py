"""One class per sample: the losses of `losses.Objective`, accuracy as the metric."""

from __future__ import annotations

from typing import Any

import torch

from archdsl.train.losses import Objective
from archdsl.train.tasks.base import ratio


class Classification:
    names = ("acc",)
    percent = True

    def __init__(self, loss: Any, activation: str | None) -> None:
        self.objective = Objective(loss, activation)

    def width(self, output: tuple[int, ...]) -> int:
        return 1

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.objective.loss(out, y)

    def sums(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.objective.correct(out, y).double().reshape(1)

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        return {"acc": ratio(sums[0], count)}
