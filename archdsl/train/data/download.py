"""`archdsl data cifar10`: fetch the official archive, check its digest, unpack it.

The archive is streamed to a temporary file beside its destination, its MD5
compared with the published one before anything is unpacked, and unpacked
with tarfile's `data` filter, which refuses links and paths that would land
outside the destination. No torch here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from archdsl.train.data.cifar10_files import FOLDER, TEST_FILE, TRAIN_FILES
from archdsl.train.errors import DataError

CHUNK = 1 << 20
# Called with (bytes so far, total bytes or None) as the download proceeds.
Progress = Callable[[int, int | None], None]


def is_complete(root: Path) -> bool:
    folder = root / FOLDER
    return all((folder / name).is_file() for name in (*TRAIN_FILES, TEST_FILE))


def download_cifar10(root: Path, url: str, md5: str, progress: Progress | None = None) -> Path:
    """Download, verify and unpack CIFAR-10 into `root`; the batches' folder."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
        archive = Path(tmp) / "cifar-10-python.tar.gz"
        digest = fetch(url, archive, progress)
        if digest != md5.lower():
            raise DataError(
                f"the archive from {url} is damaged or not CIFAR-10: its MD5 is {digest}, "
                f"expected {md5.lower()}; nothing was unpacked"
            )
        unpacked = Path(tmp) / "unpacked"
        unpack(archive, unpacked)
        if not is_complete(unpacked):
            raise DataError(f"the archive from {url} does not hold {FOLDER} with all six batches")
        target = root / FOLDER
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked / FOLDER, target)
    return target


def fetch(url: str, dest: Path, progress: Progress | None = None) -> str:
    """Stream `url` into `dest`; the MD5 hex digest of what arrived."""
    md5 = hashlib.md5(usedforsecurity=False)
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, dest.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := response.read(CHUNK):
                out.write(chunk)
                md5.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"cannot download {url}: {reason}") from None
    if total is not None and done != total:
        raise DataError(f"the download of {url} stopped after {done:,} of {total:,} bytes")
    return md5.hexdigest()


def unpack(archive: Path, dest: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"cannot unpack {archive.name}: {exc}") from None
