"""DIR/curves.png: training and held-out loss and accuracy by epoch."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from archdsl.train.atomic import write_atomic

CURVES = "curves.png"


class NoCurves(Exception):
    """Why curves.png was not drawn."""


def plot(out: Path, history: list[dict[str, Any]], title: str) -> Path:
    """Draw the curves; NoCurves saying why not (no epoch finished, no matplotlib, no room)."""
    if not history:
        raise NoCurves("no epoch has finished yet")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed, none opened
        from matplotlib import pyplot as plt
    except ImportError:
        raise NoCurves("matplotlib is not installed (pip install 'archdsl[train]')") from None
    epochs = [r["epoch"] for r in history]
    fig, (loss, acc) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, key, label in ((loss, "loss", "loss"), (acc, "acc", "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in history], "o-", label="train")
        ax.plot(epochs, [r[f"val_{key}"] for r in history], "o-", label="held out")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    try:
        write_atomic(out / CURVES, buffer.getvalue())
    except OSError as exc:
        raise NoCurves(f"cannot write it: {exc.strerror or exc}") from None
    return out / CURVES
