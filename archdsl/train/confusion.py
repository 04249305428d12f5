"""How a classifier errs on the held-out split: top-5 accuracy, per-class precision and
recall, and the confusion matrix (printed by `archdsl eval`, drawn as confusion.png)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from archdsl.train.atomic import write_atomic
from archdsl.train.session import Session


@dataclass(frozen=True)
class Confusion:
    matrix: np.ndarray  # [truth, guess] counts
    top5: float  # the share of samples whose class is among the 5 best scores

    @property
    def precision(self) -> np.ndarray:
        return _share(np.diag(self.matrix), self.matrix.sum(0))

    @property
    def recall(self) -> np.ndarray:
        return _share(np.diag(self.matrix), self.matrix.sum(1))


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0."""
    out = np.zeros(len(whole))
    np.divide(part, whole, out=out, where=whole > 0)
    return out


@torch.no_grad()
def confusion(s: Session) -> Confusion | None:
    """The held-out split's confusion, for a model scoring two or more classes; else None."""
    if s.model.output[0] < 2 or len(s.model.output) != 1:
        return None
    classes = s.model.output[0]
    network = s.evaluated
    network.eval()
    matrix = torch.zeros(classes * classes, dtype=torch.int64)
    in_top5 = 0
    for x, y in s.val.batches():
        with s.autocast():
            out = network(x).float()
        guess = out.argmax(1)
        matrix += torch.bincount((y * classes + guess).cpu(), minlength=classes * classes)
        best = out.topk(min(5, classes), 1).indices
        in_top5 += int((best == y[:, None]).any(1).sum())
    counts = matrix.reshape(classes, classes).numpy()
    return Confusion(counts, in_top5 / max(1, int(counts.sum())))


def draw(found: Confusion, names: list[str], title: str, path: Path) -> bool:
    """confusion.png; False (nothing written) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        return False
    size = min(16.0, 3 + 0.4 * len(names))
    fig, ax = plt.subplots(figsize=(size, size), constrained_layout=True)
    ax.imshow(found.matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=90)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(names) <= 20:
        top = found.matrix.max()
        for (i, j), n in np.ndenumerate(found.matrix):
            ax.text(
                j, i, str(n), ha="center", va="center", color="white" if n > top / 2 else "black"
            )
    ax.set_title(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return True
