"""One folder of images per class, resized to the model's input.

`root/<class>/*.png ...`, with `val` of each class held out; or
`root/train/<class>/...` and `root/val/<class>/...` for a split of one's own.
Classes are the folder names in sorted order. Images are read with Pillow.

A set small enough is decoded once and held in memory; a larger one (or
`stream=true`) is streamed: each image is read, decoded and resized when its
batch needs it, by DataLoader workers. Both give the same samples in the
same order, so a run's numbers do not depend on which was used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from archdsl.train.config import ImageFolder
from archdsl.train.data.base import LoadedData, SampleIds, Split, Stream
from archdsl.train.data.held_out import split_indices
from archdsl.train.errors import DataError

EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Stream, unless asked otherwise, when the decoded images would take more than this.
STREAM_BYTES = 2 << 30


class ImageFiles(Dataset[tuple[torch.Tensor, int]]):
    """Labelled image files, each read as uint8 [C, H, W] at `size` when asked for."""

    def __init__(
        self, files: list[Path], labels: list[int], channels: int, size: tuple[int, int]
    ) -> None:
        self.files, self.labels = files, labels
        self.channels, self.size = channels, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = read_image(self.files[i], self.channels, self.size)
        return torch.from_numpy(image), self.labels[i]

    def subset(self, indices: np.ndarray) -> ImageFiles:
        return ImageFiles(
            [self.files[i] for i in indices],
            [self.labels[i] for i in indices],
            self.channels,
            self.size,
        )

    def names(self, root: Path) -> np.ndarray:
        """Each file's path within `root`: the samples' ids."""
        return np.array([str(path.relative_to(root)) for path in self.files])

    def decoded(self) -> Split:
        """Every image read now, held in memory."""
        if not self.files:
            return Split(torch.zeros(0, self.channels, *self.size, dtype=torch.uint8), _y([]))
        images = [read_image(path, self.channels, self.size) for path in self.files]
        return Split(torch.from_numpy(np.stack(images)), _y(self.labels))


def load(
    config: ImageFolder, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    if config.path is None:
        raise DataError('imagefolder needs a folder: `imagefolder("photos")` or --data DIR')
    root = Path(config.path)
    if not root.is_dir():
        raise DataError(f"no such folder: {root}")
    channels, height, width = model_input
    size = (height, width)
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = class_folders(root / "train")
        if class_folders(root / "val") != classes:
            raise DataError(f"{root / 'val'} must hold the same class folders as {root / 'train'}")
        train = list_images(root / "train", classes, channels, size)
        val = list_images(root / "val", classes, channels, size)
    else:
        classes = class_folders(root)
        every = list_images(root, classes, channels, size)
        kept, held = split_indices("imagefolder", np.array(every.labels), config.val)
        train, val = every.subset(kept), every.subset(held)
    stream = config.stream
    if stream is None:
        stream = (len(train) + len(val)) * channels * height * width > STREAM_BYTES
    if stream:
        parts: tuple[Split | Stream, Split | Stream] = (
            Stream(train, config.workers, classes=len(classes)),
            Stream(val, config.workers, classes=len(classes)),
        )
    else:
        parts = (train.decoded(), val.decoded())
    ids = SampleIds(f"imagefolder:{root.resolve()}", train.names(root), val.names(root))
    return LoadedData(
        "imagefolder", *parts, len(classes), scale=255.0, class_names=classes, ids=ids
    )


def class_folders(root: Path) -> list[str]:
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(names) < 2:
        raise DataError(f"{root} must hold one folder of images per class, at least two")
    return names


def list_images(root: Path, classes: list[str], channels: int, size: tuple[int, int]) -> ImageFiles:
    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        found = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in EXTENSIONS)
        if not found:
            raise DataError(f"{root / name} holds no images ({', '.join(sorted(EXTENSIONS))})")
        files += found
        labels += [label] * len(found)
    return ImageFiles(files, labels, channels, size)


def read_image(path: Path, channels: int, size: tuple[int, int]) -> np.ndarray:
    """One image as uint8 [C, H, W], converted to grey or colour and resized."""
    from PIL import Image

    try:
        with Image.open(path) as file:
            img = file.convert("RGB" if channels == 3 else "L")
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            array = np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{path} is not a readable image ({exc})") from None
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy()


def _y(labels: list[int]) -> torch.Tensor:
    return torch.tensor(labels, dtype=torch.int64)
