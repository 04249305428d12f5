"""Random data for smoke tests: Gaussian inputs labelled by a fixed random linear teacher.

The labels follow from the inputs, so a model can learn them and a smoke test
can see the loss fall. Always the same data: its seed is fixed, not the run's.
"""

from __future__ import annotations

import math

import torch

from archdsl.train.config import Synthetic
from archdsl.train.data.base import LoadedData, Split
from archdsl.train.data.held_out import SPLIT_SEED


def load(config: Synthetic, model_input: tuple[int, ...], output: tuple[int, ...]) -> LoadedData:
    classes = config.classes or (2 if output == (1,) else output[0])
    gen = torch.Generator().manual_seed(SPLIT_SEED)
    teacher = torch.randn(math.prod(model_input), classes, generator=gen)

    def sample(n: int) -> Split:
        x = torch.randn(n, *model_input, generator=gen)
        return Split(x, (x.flatten(1) @ teacher).argmax(1))

    train = sample(config.samples)
    return LoadedData("synthetic", train, sample(config.val_samples), classes, scale=1.0)
