"""Numbers per sample: mean squared or absolute error; R² and mean absolute error.

R² is pooled over every output value: 1 - (sum of squared errors) / (sum of
squared deviations of the targets from their mean).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from archdsl.train.config import AbsoluteError
from archdsl.train.tasks.base import ratio


class Regression:
    names = ("r2", "mae")
    percent = False

    def __init__(self, loss: Any, activation: str | None) -> None:
        self.l1 = isinstance(loss, AbsoluteError)

    def width(self, output: tuple[int, ...]) -> int:
        return 5

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out, target = out.float(), y.float().reshape(out.shape)
        return F.l1_loss(out, target) if self.l1 else F.mse_loss(out, target)

    def sums(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out, target = out.double(), y.double().reshape(out.shape)
        error = out - target
        n = torch.full((), float(target.numel()), dtype=torch.float64, device=out.device)
        return torch.stack(
            [error.abs().sum(), error.pow(2).sum(), target.sum(), target.pow(2).sum(), n]
        )

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        absolute, squared, total, total_squares, n = sums
        spread = total_squares - ratio(total * total, n)
        r2 = 1.0 - squared / spread if spread > 0 else 0.0
        return {"r2": r2, "mae": ratio(absolute, n)}
