"""DIR/metrics.jsonl: one JSON object per finished epoch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archdsl.train.atomic import write_atomic
from archdsl.train.errors import TrainError

METRICS = "metrics.jsonl"
# Every record holds at least these.
FIELDS = (
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "images_per_s",
    "seconds",
)


def append(out: Path, record: dict[str, Any]) -> None:
    try:
        with (out / METRICS).open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise TrainError(f"cannot write {out / METRICS}: {exc.strerror or exc}") from None


def rewrite(out: Path, history: list[dict[str, Any]]) -> None:
    """The file as the checkpoint knows it: a resumed run drops epochs it will redo."""
    write_atomic(out / METRICS, "".join(json.dumps(r) + "\n" for r in history).encode())
