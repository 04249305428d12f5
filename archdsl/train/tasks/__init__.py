"""What a run optimises and reports, per task: its loss, and metrics summed over batches.

Every metric is computed from sums (so batches, epochs split by a resume and
processes all add up); the first metric of a task is the one the best
checkpoint follows, higher being better.
"""

from __future__ import annotations

from typing import Any

from archdsl.train.tasks.base import Task
from archdsl.train.tasks.classification import Classification
from archdsl.train.tasks.multilabel import MultiLabel
from archdsl.train.tasks.regression import Regression
from archdsl.train.tasks.segmentation import Segmentation


def make_task(task: str, loss: Any, activation: str | None) -> Task:
    """The task's objective, for a model whose last step is `activation` (or none)."""
    kinds: dict[str, type[Any]] = {
        "classification": Classification,
        "regression": Regression,
        "multilabel": MultiLabel,
        "segmentation": Segmentation,
    }
    made: Task = kinds[task](loss, activation)
    return made


__all__ = ["Task", "make_task"]
