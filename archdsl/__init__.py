"""archdsl: a declarative language and compiler for neural-network architectures.

The public names load on first use, so `import archdsl` costs almost nothing and
`archdsl check` pays only for what it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from torch import nn

    from archdsl.diagnostics import ArchError, Diagnostic
    from archdsl.ir import Model, Program
    from archdsl.loader import load
    from archdsl.train.api import FitRun, fit
    from archdsl.train.errors import TrainError

__version__ = "0.1.0"
__all__ = [
    "ArchError",
    "Diagnostic",
    "FitRun",
    "Model",
    "Program",
    "TrainError",
    "build",
    "fit",
    "load",
]

_LAZY = {
    "ArchError": "archdsl.diagnostics",
    "Diagnostic": "archdsl.diagnostics",
    "Model": "archdsl.ir",
    "Program": "archdsl.ir",
    "load": "archdsl.loader",
    "fit": "archdsl.train.api",
    "FitRun": "archdsl.train.api",
    "TrainError": "archdsl.train.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'archdsl' has no attribute {name!r}")


def build(
    spec: str | Path | Program | Model, model: str | None = None, **options: Any
) -> nn.Module:
    """Build the torch module of a spec (path, text, Program or Model)."""
    from archdsl.backend import build as _build

    return _build(spec, model=model, **options)
