"""A task over a model with several outputs: it trains the one its loss names, adds `aux`
times the loss of each other output (as Inception-v3 trains its auxiliary head), and
scores the trained output alone."""

from __future__ import annotations

import torch

from archdsl.train.outputs import Trained
from archdsl.train.tasks.base import Task

# A model with several outputs gives a tuple, in the order of its `output` line.
Outputs = torch.Tensor | tuple[torch.Tensor, ...]


class SeveralOutputs:
    def __init__(self, task: Task, trained: Trained) -> None:
        self.task = task
        self.trained = trained
        self.names = task.names
        self.percent = task.percent

    def main(self, out: Outputs) -> torch.Tensor:
        """The output the loss trains and the metrics are counted on."""
        return out[self.trained.index] if isinstance(out, tuple) else out

    def width(self, output: tuple[int, ...]) -> int:
        return self.task.width(self.trained.shape)

    def loss(self, out: Outputs, y: torch.Tensor) -> torch.Tensor:
        total = self.task.loss(self.main(out), y)
        if isinstance(out, tuple):
            for i in self.trained.aux:
                total = total + self.trained.weight * self.task.loss(out[i], y)
        return total

    def sums(self, out: Outputs, y: torch.Tensor) -> torch.Tensor:
        return self.task.sums(self.main(out), y)

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        return self.task.metrics(sums, count)
