"""The sample shape of a file dataset read from its header alone: no torch, no data.

`archdsl check` uses it to match the model's input against `arrays(...)` and
`csv(...)` without loading them; a file it cannot read gives None, and the run
reports the problem when it loads the data.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import IO


def arrays_shape(path: str) -> tuple[int, ...] | None:
    """The shape of one sample of `x` in an .npz file or a folder holding x.npy."""
    where = Path(path)
    try:
        if where.is_dir():
            with (where / "x.npy").open("rb") as f:
                return _npy_shape(f)
        with zipfile.ZipFile(where) as archive, archive.open("x.npy") as f:
            return _npy_shape(f)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _npy_shape(f: IO[bytes]) -> tuple[int, ...] | None:
    from numpy.lib import format as npy

    major, _ = npy.read_magic(f)
    read = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
    shape, _, _ = read(f)
    return tuple(shape[1:]) if len(shape) >= 2 else None


def csv_shape(path: str, target: str) -> tuple[int, ...] | None:
    """(features,): the header's columns but the target; None if it has no such column."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError):
        return None
    if header is None or target not in header:
        return None
    return (len(header) - 1,)
