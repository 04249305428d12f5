"""A class per pixel, from a [K, H, W] output: per-pixel cross-entropy or soft Dice;
mean intersection over union (over the classes present in prediction or truth)
and pixel accuracy."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from archdsl.train.config import CrossEntropy, Dice
from archdsl.train.tasks.base import ratio

_TINY = 1e-12
_SMOOTH = 1.0  # keeps Dice defined for a class absent from prediction and truth


class Segmentation:
    names = ("miou", "pixel_acc")
    percent = True

    def __init__(self, loss: Any, activation: str | None) -> None:
        self.config: CrossEntropy | Dice = loss
        self.probabilities = activation == "softmax"

    def _log_probs(self, out: torch.Tensor) -> torch.Tensor:
        return out.clamp_min(_TINY).log() if self.probabilities else out.log_softmax(1)

    def width(self, output: tuple[int, ...]) -> int:
        return 2 * output[0] + 2

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        log_probs = self._log_probs(out.float())
        if isinstance(self.config, CrossEntropy):
            return F.nll_loss(log_probs, y) * (1 - self.config.label_smoothing) - (
                self.config.label_smoothing * log_probs.mean(1).mean()
            )
        probs = log_probs.exp()
        truth = F.one_hot(y, probs.shape[1]).permute(0, 3, 1, 2).float()
        overlap = (probs * truth).sum((0, 2, 3))
        sizes = probs.sum((0, 2, 3)) + truth.sum((0, 2, 3))
        dice = 1 - ((2 * overlap + _SMOOTH) / (sizes + _SMOOTH)).mean()
        if self.config.cross_entropy == 0:
            return dice
        return dice + self.config.cross_entropy * F.nll_loss(log_probs, y)

    def sums(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        classes = out.shape[1]
        guess = out.argmax(1)
        inter = torch.bincount(y[guess == y].flatten(), minlength=classes)
        count_guess = torch.bincount(guess.flatten(), minlength=classes)
        count_truth = torch.bincount(y.flatten(), minlength=classes)
        union = count_guess + count_truth - inter
        pixels = torch.stack([inter.sum(), torch.full((), y.numel(), device=out.device)])
        return torch.cat([inter, union, pixels]).double()

    def metrics(self, sums: list[float], count: int) -> dict[str, float]:
        classes = (len(sums) - 2) // 2
        inter, union = sums[:classes], sums[classes : 2 * classes]
        seen = [i / u for i, u in zip(inter, union, strict=True) if u > 0]
        return {
            "miou": sum(seen) / len(seen) if seen else 0.0,
            "pixel_acc": ratio(sums[-2], sums[-1]),
        }
