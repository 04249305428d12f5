"""Any number of labels per sample: binary cross-entropy per label; micro F1 and the
share of labels right. A label is on when its logit is above 0 (probability 0.5)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from archdsl.train.tasks.base import ratio


class MultiLabel:
    names = ("f1", "label_acc")
    percent = True

    def __init__(self, loss: Any, activation: str | None) -> None:
        self.probabilities = activation == "sigmoid"

    def width(self, output: tuple[int, ...]) -> int:
        return 5

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out, target = out.float(), y.float().reshape(out.shape)
        if self.probabilities:
            return F.binary_cross_entropy(out, target)
        return F.binary_cross_entropy_with_logits(out, target)

    def sums(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        guess = out > (0.5 if self.probabilities else 0.0)
        truth = y.reshape(out.shape) > 0.5
        values = [
            (guess & truth).sum(),
            (guess & ~truth).sum(),
            (~guess & truth).sum(),
            (guess == truth).sum(),
            torch.full((), truth.numel(), device=out.device),
        ]
        return torch.stack([v.double() for v in values])

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        hits, false_on, false_off, right, labels = sums
        return {
            "f1": ratio(2 * hits, 2 * hits + false_on + false_off),
            "label_acc": ratio(right, labels),
        }
