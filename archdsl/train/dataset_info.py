"""What each dataset gives, known without reading it: sample shape and classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    # Per-sample shape, or None where the model decides it (synthetic) or the
    # files do (imagefolder, resized to the model's input).
    shape: tuple[int, ...] | None
    # None where the files decide it.
    classes: int | None
    images: bool
    task: str = "classification"


DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo((3, 32, 32), 10, images=True),
    "digits": DatasetInfo((1, 8, 8), 10, images=True),
    "breast_cancer": DatasetInfo((30,), 2, images=False),
    "iris": DatasetInfo((4,), 3, images=False),
    "diabetes": DatasetInfo((10,), None, images=False, task="regression"),
    "imagefolder": DatasetInfo(None, None, images=True),
    "arrays": DatasetInfo(None, None, images=False),
    "csv": DatasetInfo(None, None, images=False),
    "shapes": DatasetInfo(None, 3, images=True, task="segmentation"),
    "synthetic": DatasetInfo(None, None, images=False),
    "python": DatasetInfo(None, None, images=False),
}
