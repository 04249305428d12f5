"""Unpickling that can build numpy arrays and nothing else.

CIFAR-10's official batches are python pickles; a pickle can run any code it
names, so this unpickler refuses every name but the few numpy needs to
rebuild an array.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

_ALLOWED = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol 2 writes bytes
    }
)


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it asks for `{module}.{name}`, which a data file never needs"
        )


def load_arrays(path: Path) -> Any:
    """The object pickled in `path`, python 2 strings read as bytes."""
    with path.open("rb") as f:
        return _ArraysOnly(f, encoding="bytes").load()
