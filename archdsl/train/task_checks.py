"""Does a model's output and loss fit its task? Checked before any data is read; no torch.

Classification is checked in `compat`; this module checks the other tasks:
regression (any output, `mse` or `l1`), multi-label (one output per label,
`bce`) and segmentation (`[K, H, W]`, `cross_entropy` or `dice`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from archdsl.train.config import (
    AbsoluteError,
    BinaryCrossEntropy,
    CrossEntropy,
    Dice,
    Shapes,
    SquaredError,
    TrainConfig,
)
from archdsl.train.dataset_info import DATASETS

Loc = tuple[str | int, ...]
Shape = tuple[int, ...]

# The losses each task takes; the first is its default.
LOSSES: dict[str, tuple[type[Any], ...]] = {
    "classification": (CrossEntropy, SquaredError, BinaryCrossEntropy),
    "regression": (SquaredError, AbsoluteError),
    "multilabel": (BinaryCrossEntropy,),
    "segmentation": (CrossEntropy, Dice),
}


class TaskProblem(NamedTuple):
    loc: Loc
    message: str
    help: str | None = None


def task_of(config: TrainConfig) -> str:
    """The configured task, else the dataset's own (classification for most)."""
    return config.task or DATASETS[config.data.kind].task


def default_loss(task: str) -> Any:
    return LOSSES[task][0]()


def task_problems(config: TrainConfig, model: str, output: Shape) -> list[TaskProblem]:
    """What cannot work for a task other than classification."""
    task = task_of(config)
    loss = config.loss if config.loss is not None else default_loss(task)
    task_loc: Loc = ("task",) if config.task is not None else ("data",)
    where: Loc = ("loss",) if config.loss is not None else task_loc
    if not isinstance(loss, LOSSES[task]):
        names = ", ".join(f"`{cls.model_fields['kind'].default}`" for cls in LOSSES[task])
        return [TaskProblem(where, f"{loss.kind} is not a {task} loss", f"use {names}")]
    dataset = DATASETS[config.data.kind]
    one_target = dataset.task == "regression" and dataset.shape is not None
    if task == "regression" and one_target and output != (1,):
        return [
            TaskProblem(
                ("data",),
                f"{config.data.kind} has one target; model `{model}` gives {_fmt(output)}",
                "end the model with `linear(1)`",
            )
        ]
    if task == "multilabel" and len(output) != 1:
        return [
            TaskProblem(
                task_loc,
                f"multi-label needs one output per label; `{model}` gives {_fmt(output)}",
            )
        ]
    if task == "segmentation":
        return _segmentation(config, model, output, task_loc)
    return []


def _segmentation(
    config: TrainConfig, model: str, output: Shape, task_loc: Loc
) -> list[TaskProblem]:
    if len(output) != 3 or output[0] < 2:
        return [
            TaskProblem(
                task_loc,
                f"segmentation needs a [K, H, W] output (a score per class per pixel); "
                f"`{model}` gives {_fmt(output)}",
                "end the model with a 1x1 `conv(K, 1x1)` at the mask's size",
            )
        ]
    data = config.data
    if isinstance(data, Shapes) and output != (3, data.size, data.size):
        return [
            TaskProblem(
                ("data",),
                f"shapes gives masks of 3 classes at {data.size}x{data.size}; "
                f"model `{model}` gives {_fmt(output)}",
                f"make the output [3, {data.size}, {data.size}]",
            )
        ]
    found = []
    for i, aug in enumerate(data.augment):
        if aug.kind in ("crop", "flip"):
            found.append(
                TaskProblem(
                    ("data", "augment", i),
                    f"{aug.kind} would move the image but not its mask",
                    "segmentation takes `cutout` and `erase`, which leave the mask right",
                )
            )
    return found


def _fmt(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"
