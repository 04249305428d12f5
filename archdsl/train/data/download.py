"""`archdsl data cifar10`: fetch the official archive, check its digest, unpack it.

The archive is streamed to a temporary file beside its destination, its MD5
compared with the published one before anything is unpacked, and unpacked
with tarfile's `data` filter, which refuses links and paths that would land
outside the destination. The download is bounded in size and in time, and
the archive's members in what they unpack to (the headers are read first),
so neither a server nor an archive can fill the disk or stall forever.
No torch here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from archdsl.train.data.cifar10_files import FOLDER, TEST_FILE, TRAIN_FILES
from archdsl.train.errors import DataError

CHUNK = 1 << 20
# CIFAR-10's archive is 163 MiB and unpacks to 178 MiB: room to spare, and a bound.
MAX_ARCHIVE = 512 << 20
MAX_UNPACKED = 1 << 30
DEADLINE = 3600.0  # seconds for the whole download
STALL = 60.0  # seconds without a byte
# Called with (bytes so far, total bytes or None) as the download proceeds.
Progress = Callable[[int, int | None], None]


def is_complete(root: Path) -> bool:
    folder = root / FOLDER
    return all((folder / name).is_file() for name in (*TRAIN_FILES, TEST_FILE))


def download_cifar10(
    root: Path,
    url: str,
    md5: str,
    progress: Progress | None = None,
    deadline: float = DEADLINE,
) -> Path:
    """Download, verify and unpack CIFAR-10 into `root`; the batches' folder."""
    target = root / FOLDER
    replaceable(target)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
            archive = Path(tmp) / "cifar-10-python.tar.gz"
            digest = fetch(url, archive, progress, deadline=deadline)
            if digest != md5.lower():
                raise DataError(
                    f"the archive from {url} is damaged or not CIFAR-10: its MD5 is {digest}, "
                    f"expected {md5.lower()}; nothing was unpacked"
                )
            unpacked = Path(tmp) / "unpacked"
            unpack(archive, unpacked)
            if not is_complete(unpacked):
                raise DataError(
                    f"the archive from {url} does not hold {FOLDER} with all six batches"
                )
            replaceable(target)
            if target.exists():
                shutil.rmtree(target)
            os.replace(unpacked / FOLDER, target)
    except OSError as exc:
        raise DataError(f"cannot write CIFAR-10 into {root}: {exc.strerror or exc}") from None
    return target


def replaceable(target: Path) -> None:
    """DataError unless `target` is absent or a real folder (never a link or a file)."""
    if target.is_symlink():
        raise DataError(
            f"{target} is a symbolic link; it is not replaced: remove it, or choose another --out"
        )
    if target.exists() and not target.is_dir():
        raise DataError(
            f"{target} is a file, not a folder of CIFAR-10 batches; remove it, "
            "or choose another --out"
        )


def fetch(
    url: str,
    dest: Path,
    progress: Progress | None = None,
    max_bytes: int = MAX_ARCHIVE,
    deadline: float = DEADLINE,
) -> str:
    """Stream `url` into `dest`; the MD5 hex digest of what arrived.

    DataError once it passes `max_bytes` (or announces more) or takes longer than
    `deadline` seconds in all.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    done = 0
    began = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=min(STALL, deadline)) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise DataError(_too_large(url, total, max_bytes))
            with dest.open("wb") as out:
                # read1 returns what has arrived, so the clock is looked at between trickles.
                while chunk := response.read1(CHUNK):
                    done += len(chunk)
                    if done > max_bytes:
                        raise DataError(_too_large(url, done, max_bytes))
                    if time.monotonic() - began > deadline:
                        raise DataError(
                            f"the download of {url} took longer than {deadline:g} s "
                            f"({done:,} bytes arrived); nothing was unpacked"
                        )
                    out.write(chunk)
                    md5.update(chunk)
                    if progress:
                        progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"cannot download {url}: {reason}") from None
    if total is not None and done != total:
        raise DataError(f"the download of {url} stopped after {done:,} of {total:,} bytes")
    return md5.hexdigest()


def _too_large(url: str, size: int, limit: int) -> str:
    return f"the download of {url} is over {size:,} bytes, more than the {limit:,} allowed"


def unpack(archive: Path, dest: Path, max_bytes: int = MAX_UNPACKED) -> None:
    """Unpack `archive`, after its headers show it within `max_bytes` (a gzip bomb is not)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            total = 0
            members = []
            for member in tar:  # each header, its data skipped: refused before any is written
                total += member.size
                if total > max_bytes:
                    raise DataError(
                        f"{archive.name} would unpack to more than {max_bytes:,} bytes "
                        f"({member.name} alone is {member.size:,}); nothing was unpacked"
                    )
                members.append(member)
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"cannot unpack {archive.name}: {exc}") from None
