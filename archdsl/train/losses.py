"""The losses a train section names, and how each counts a correct answer.

A model may end in raw scores (logits) or in probabilities (a final `softmax`
or `sigmoid` in the spec); each loss takes the output as the model gives it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from archdsl.train.config import BinaryCrossEntropy, CrossEntropy, SquaredError

LossConfig = CrossEntropy | SquaredError | BinaryCrossEntropy
_TINY = 1e-12  # keeps log() of a probability finite


class Objective:
    def __init__(self, config: LossConfig, activation: str | None) -> None:
        self.config = config
        self.activation = activation

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The batch's mean loss, computed in float32."""
        out = out.float()
        if isinstance(self.config, BinaryCrossEntropy):
            target = y.float().reshape(out.shape)
            if self.activation == "sigmoid":
                return F.binary_cross_entropy(out, target)
            return F.binary_cross_entropy_with_logits(out, target)
        soft = y.is_floating_point()  # a soft target [N, K] of mixup or cutmix
        if isinstance(self.config, SquaredError):
            probs = out if self.activation == "softmax" else out.softmax(1)
            one_hot = y if soft else F.one_hot(y, probs.shape[1]).float()
            return (probs - one_hot).pow(2).sum(1).mean()
        if self.activation == "softmax":
            log_probs = out.clamp_min(_TINY).log()
        else:
            log_probs = out.log_softmax(1)
        nll = -(y * log_probs).sum(1).mean() if soft else F.nll_loss(log_probs, y)
        smoothing = self.config.label_smoothing
        if smoothing == 0:
            return nll
        # As torch defines it: the target keeps 1 - eps, every class gets eps / classes.
        return (1 - smoothing) * nll - smoothing * log_probs.mean(1).mean()

    def correct(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """How many answers of the batch are right, as a float tensor on its device; against
        a soft target, each answer counts the weight its class has there."""
        if isinstance(self.config, BinaryCrossEntropy):
            threshold = 0.5 if self.activation == "sigmoid" else 0.0
            guess = (out.reshape(-1) > threshold).long()
        else:
            guess = out.argmax(1)
        if y.is_floating_point():
            return y.gather(1, guess[:, None]).sum().float()
        return (guess == y).sum().float()
