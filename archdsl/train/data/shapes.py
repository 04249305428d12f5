"""Generated segmentation data: discs and squares on noise, with each pixel's class.

Every image is `size` x `size` colour noise with one to three shapes drawn
in random colours, each a disc (class 1) or a square (class 2), later ones
over earlier ones; its mask gives each pixel's class (0 for background).
Shape is what tells the classes apart, not colour. The training and the
held-out images come from two fixed seeds: the same every time, never the same
image in both.
"""

from __future__ import annotations

import numpy as np

from archdsl.train.config import Shapes
from archdsl.train.data.base import LoadedData, SampleIds
from archdsl.train.data.held_out import as_split

CLASSES = 3  # background, disc, square
TRAIN_SEED, VAL_SEED = 0, 1


def load(
    config: Shapes, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    train = generate(config.samples, config.size, TRAIN_SEED)
    val = generate(config.val_samples, config.size, VAL_SEED)
    return LoadedData(
        "shapes",
        as_split(*train),
        as_split(*val),
        CLASSES,
        scale=255.0,
        class_names=["background", "disc", "square"],
        # Two seeds: the i-th training and the i-th held-out image are different images.
        ids=SampleIds(
            f"shapes:{config.size}",
            np.arange(config.samples),
            np.arange(config.val_samples) + (1 << 40),
        ),
    )


def generate(count: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` images uint8 [N, 3, size, size] and their masks int64 [N, size, size]."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 96, (count, 3, size, size), dtype=np.uint8)
    masks = np.zeros((count, size, size), dtype=np.int64)
    rows, cols = np.mgrid[0:size, 0:size]
    for i in range(count):
        for _ in range(int(rng.integers(1, 4))):
            kind = int(rng.integers(1, CLASSES))
            radius = rng.uniform(size / 10, size / 4)
            cy, cx = rng.uniform(radius, size - radius, 2)
            if kind == 1:
                inside = (rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2
            else:
                inside = (np.abs(rows - cy) <= radius) & (np.abs(cols - cx) <= radius)
            colour = rng.integers(110, 256, 3, dtype=np.uint8)
            images[i][:, inside] = colour[:, None]
            masks[i][inside] = kind
    return images, masks
