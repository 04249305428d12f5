"""Tiny CIFAR-10 batches in the official format, for tests that must not download."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from archdsl.train.data.cifar10_files import FOLDER, TEST_FILE, TRAIN_FILES

PER_BATCH = 20


def batch(seed: int, count: int = PER_BATCH) -> dict[bytes, object]:
    """One batch as the official files hold it: a dict of bytes keys, pickled by python 2."""
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": f"batch {seed}".encode(),
        b"labels": [int(v) for v in rng.integers(0, 10, count)],
        b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
        b"filenames": [f"image_{seed}_{i}.png".encode() for i in range(count)],
    }


def write_batches(root: Path) -> Path:
    """`root/cifar-10-batches-py` with five training batches and a test batch."""
    folder = root / FOLDER
    folder.mkdir(parents=True)
    for seed, name in enumerate((*TRAIN_FILES, TEST_FILE)):
        (folder / name).write_bytes(pickle.dumps(batch(seed), protocol=2))
    return folder


def archive(root: Path) -> tuple[bytes, str]:
    """The batches as a .tar.gz like the official one, and its MD5."""
    folder = write_batches(root)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=FOLDER)
    data = buffer.getvalue()
    return data, hashlib.md5(data, usedforsecurity=False).hexdigest()
