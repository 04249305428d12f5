"""Do a loaded dataset's targets fit the task and the model's output? (what only the
loaded data can tell; the static checks are in `task_checks`)."""

from __future__ import annotations

import math

import torch

from archdsl.ir import Model
from archdsl.train.data.base import LoadedData, Split
from archdsl.train.errors import TrainError


def check_targets(data: LoadedData, model: Model, task: str) -> None:
    shape = _target_shape(data)
    out = model.output
    if task == "regression" and math.prod(shape) != math.prod(out):
        raise TrainError(
            f"{data.name} gives targets of shape {list(shape)}; model `{model.name}` gives "
            f"{list(out)}: a regression needs one output per target value"
        )
    if task == "multilabel" and shape != out:
        raise TrainError(
            f"{data.name} gives {list(shape)} labels per sample; model `{model.name}` gives "
            f"{list(out)}: one output per label"
        )
    if task == "segmentation":
        if shape != out[1:]:
            raise TrainError(
                f"{data.name} gives masks of {list(shape)}; model `{model.name}` gives "
                f"{list(out)}: a [K, H, W] output must match the masks' [H, W]"
            )
        if data.classes > out[0]:
            raise TrainError(
                f"{data.name}'s masks hold {data.classes} classes; model `{model.name}` "
                f"scores {out[0]} per pixel"
            )


def _target_shape(data: LoadedData) -> tuple[int, ...]:
    if isinstance(data.train, Split):
        return tuple(data.train.y.shape[1:])
    return tuple(torch.as_tensor(data.train.dataset[0][1]).shape)
