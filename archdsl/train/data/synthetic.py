"""Random data for smoke tests: Gaussian inputs labelled by a fixed random linear teacher.

The labels follow from the inputs, so a model can learn them and a smoke test
can see the loss fall. Always the same data: its seed is fixed, not the run's.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from archdsl.train.config import Synthetic
from archdsl.train.data.base import LoadedData, SampleIds, Split
from archdsl.train.data.held_out import SPLIT_SEED


def load(
    config: Synthetic, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    classes = config.classes or (2 if output == (1,) else output[0])
    gen = torch.Generator().manual_seed(SPLIT_SEED)
    teacher = torch.randn(math.prod(model_input), classes, generator=gen)

    def sample(n: int) -> Split:
        x = torch.randn(n, *model_input, generator=gen)
        return Split(x, (x.flatten(1) @ teacher).argmax(1))

    train = sample(config.samples)
    # One stream of samples: the held-out ones are drawn after the training ones.
    n, held = config.samples, config.val_samples
    ids = SampleIds(
        f"synthetic:{list(model_input)}:{classes}", np.arange(n), np.arange(n, n + held)
    )
    return LoadedData("synthetic", train, sample(held), classes, scale=1.0, ids=ids)
