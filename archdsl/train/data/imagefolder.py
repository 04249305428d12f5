"""One folder of images per class, resized to the model's input.

`root/<class>/*.png ...`, with `val` of each class held out; or
`root/train/<class>/...` and `root/val/<class>/...` for a split of one's own.
Classes are the folder names in sorted order. Images are read with Pillow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from archdsl.train.config import ImageFolder
from archdsl.train.data.base import LoadedData, Split
from archdsl.train.data.held_out import split
from archdsl.train.errors import DataError

EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


def load(config: ImageFolder, model_input: tuple[int, ...], output: tuple[int, ...]) -> LoadedData:
    if config.path is None:
        raise DataError('imagefolder needs a folder: `imagefolder("photos")` or --data DIR')
    root = Path(config.path)
    if not root.is_dir():
        raise DataError(f"no such folder: {root}")
    channels, height, width = model_input
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = class_folders(root / "train")
        if class_folders(root / "val") != classes:
            raise DataError(f"{root / 'val'} must hold the same class folders as {root / 'train'}")
        train = read_folder(root / "train", classes, channels, (height, width))
        val = read_folder(root / "val", classes, channels, (height, width))
        return LoadedData("imagefolder", train, val, len(classes), scale=255.0)
    classes = class_folders(root)
    every = read_folder(root, classes, channels, (height, width))
    return split("imagefolder", every.x.numpy(), every.y.numpy(), config.val, 255.0)


def class_folders(root: Path) -> list[str]:
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(names) < 2:
        raise DataError(f"{root} must hold one folder of images per class, at least two")
    return names


def read_folder(root: Path, classes: list[str], channels: int, size: tuple[int, int]) -> Split:
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in EXTENSIONS)
        if not files:
            raise DataError(f"{root / name} holds no images ({', '.join(sorted(EXTENSIONS))})")
        for path in files:
            images.append(read_image(path, channels, size))
            labels.append(label)
    return Split(torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64))


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
