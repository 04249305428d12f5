"""Where CIFAR-10's official python batches come from and where they live."""

from __future__ import annotations

import os
from pathlib import Path

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"  # published beside the archive
FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"


def default_root() -> Path:
    """Where datasets live when neither `--data` nor the spec says: $ARCHDSL_DATA."""
    env = os.environ.get("ARCHDSL_DATA")
    return Path(env) if env else Path.home() / ".cache" / "archdsl"


def batches_folder(root: Path) -> Path:
    """`root/cifar-10-batches-py`, or `root` itself when it is that folder."""
    if (root / TRAIN_FILES[0]).is_file() or root.name == FOLDER:
        return root
    return root / FOLDER
