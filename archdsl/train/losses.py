"""The losses a train section names, and how each counts a correct answer.

A model may end in raw scores (logits) or in probabilities (a final `softmax`
or `sigmoid` in the spec); each loss takes the output as the model gives it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from archdsl.train.config import BinaryCrossEntropy, CrossEntropy, SquaredError
from archdsl.train.outputs import Trained

LossConfig = CrossEntropy | SquaredError | BinaryCrossEntropy
Outputs = torch.Tensor | tuple[torch.Tensor, ...]  # a model with several outputs gives a tuple
_TINY = 1e-12  # keeps log() of a probability finite


class Objective:
    """The loss of the trained output; of a model with several outputs, plus `aux`
    times the loss of each auxiliary one (`trained`)."""

    def __init__(
        self, config: LossConfig, activation: str | None, trained: Trained | None = None
    ) -> None:
        self.config = config
        self.activation = activation
        self.trained = trained

    def main(self, out: Outputs) -> torch.Tensor:
        """The output the loss trains and accuracy is counted on."""
        if isinstance(out, tuple):
            return out[self.trained.index if self.trained is not None else 0]
        return out

    def loss(self, out: Outputs, y: torch.Tensor) -> torch.Tensor:
        """The batch's mean loss, computed in float32, auxiliary outputs weighed in."""
        total = self.one_loss(self.main(out), y)
        if isinstance(out, tuple) and self.trained is not None:
            for i in self.trained.aux:
                total = total + self.trained.weight * self.one_loss(out[i], y)
        return total

    def one_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The mean loss of one output."""
        out = out.float()
        if isinstance(self.config, BinaryCrossEntropy):
            target = y.float().reshape(out.shape)
            if self.activation == "sigmoid":
                return F.binary_cross_entropy(out, target)
            return F.binary_cross_entropy_with_logits(out, target)
        if isinstance(self.config, SquaredError):
            probs = out if self.activation == "softmax" else out.softmax(1)
            one_hot = F.one_hot(y, probs.shape[1]).float()
            return (probs - one_hot).pow(2).sum(1).mean()
        if self.activation == "softmax":
            log_probs = out.clamp_min(_TINY).log()
        else:
            log_probs = out.log_softmax(1)
        nll = F.nll_loss(log_probs, y)
        smoothing = self.config.label_smoothing
        if smoothing == 0:
            return nll
        # As torch defines it: the target keeps 1 - eps, every class gets eps / classes.
        return (1 - smoothing) * nll - smoothing * log_probs.mean(1).mean()

    def correct(self, out: Outputs, y: torch.Tensor) -> torch.Tensor:
        """How many answers of the batch are right, as a float tensor on its device."""
        out = self.main(out)
        if isinstance(self.config, BinaryCrossEntropy):
            threshold = 0.5 if self.activation == "sigmoid" else 0.0
            guess = (out.reshape(-1) > threshold).long()
        else:
            guess = out.argmax(1)
        return (guess == y).sum().float()
