"""Does a configuration fit its model? Sample shape, classes, loss, augmentation.

Checked before any data is read, by `archdsl check` and `archdsl train` alike;
no torch here. Each problem names the configuration value at fault by its
location, so the caller can point at the spec text it came from.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from archdsl.train.config import (
    MIXING,
    Arrays,
    BinaryCrossEntropy,
    Crop,
    CrossEntropy,
    Csv,
    Cutout,
    Data,
    Shapes,
    Synthetic,
    TrainConfig,
)
from archdsl.train.data.headers import arrays_shape, csv_shape
from archdsl.train.dataset_info import DATASETS
from archdsl.train.monitor import monitor_problem
from archdsl.train.task_checks import Loc, Shape, default_loss, task_of, task_problems


class Problem(NamedTuple):
    loc: Loc
    message: str
    help: str | None = None


def fmt(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def sample_shape(data: Data, model_input: Shape) -> Shape | None:
    """The shape of one sample the dataset gives, where it is known without reading it."""
    if isinstance(data, Synthetic):
        return model_input
    if data.kind == "imagefolder":
        return model_input if len(model_input) == 3 else None
    if isinstance(data, Arrays):
        return arrays_shape(data.path)
    if isinstance(data, Csv):
        return csv_shape(data.path, data.target)
    if isinstance(data, Shapes):
        return (3, data.size, data.size)
    return DATASETS[data.kind].shape


def class_count(data: Data, output: Shape) -> int | None:
    """How many classes the dataset has, where known without reading it."""
    if isinstance(data, Synthetic):
        if data.classes is not None:
            return data.classes
        return 2 if output == (1,) else (output[0] if len(output) == 1 else None)
    return DATASETS[data.kind].classes


def effective_loss(config: TrainConfig, output: Shape) -> Any:
    """The configured loss, or the one the task and output call for: one output means binary."""
    if config.loss is not None:
        return config.loss
    task = task_of(config)
    if task != "classification":
        return default_loss(task)
    return BinaryCrossEntropy() if output == (1,) else CrossEntropy()


def problems(config: TrainConfig, model: str, model_input: Shape, output: Shape) -> list[Problem]:
    """Everything about `config` that cannot work with this model."""
    found: list[Problem] = []
    data = config.data
    shape = sample_shape(data, model_input)
    found += _input_problems(data, model, model_input, shape)
    if task_of(config) == "classification":
        found += _loss_problems(config, model, output, class_count(data, output))
    else:
        found += [Problem(*p) for p in task_problems(config, model, output)]
    found += _augment_problems(data, shape)
    found += _mix_problems(config, model, output)
    found += _stats_problems(data, shape)
    monitor = monitor_problem(config, task_of(config))
    if monitor is not None:
        found.append(Problem(("monitor",), *monitor))
    return found


def fits(shape: Shape, model_input: Shape) -> bool:
    """Samples of `shape` feed a model taking `model_input`, as they are, flattened, or
    without their axes of size 1 (a grey [1, 8, 8] digit read as 8 rows [8, 8])."""
    squeezed = tuple(d for d in shape if d != 1)
    return model_input in (shape, (math.prod(shape),), squeezed)


def _input_problems(
    data: Data, model: str, model_input: Shape, shape: Shape | None
) -> list[Problem]:
    if data.kind == "imagefolder" and (len(model_input) != 3 or model_input[0] not in (1, 3)):
        return [
            Problem(
                ("data",),
                f"imagefolder gives images; model `{model}` takes {fmt(model_input)}",
                "give the model an image input: `input [3, H, W]` (colour) or `[1, H, W]` (grey)",
            )
        ]
    if shape is None or fits(shape, model_input):
        return []
    flat = f" (or [{math.prod(shape)}] flattened)" if len(shape) > 1 else ""
    return [
        Problem(
            ("data",),
            f"{data.kind} gives samples of shape {fmt(shape)}; "
            f"model `{model}` takes {fmt(model_input)}",
            f"make the model's input {fmt(shape)}{flat}",
        )
    ]


def _loss_problems(
    config: TrainConfig, model: str, output: Shape, classes: int | None
) -> list[Problem]:
    loss = effective_loss(config, output)
    where: Loc = ("loss",) if config.loss is not None else ("data",)
    if isinstance(loss, BinaryCrossEntropy):
        if output != (1,):
            return [
                Problem(
                    where,
                    f"bce needs a model with one output; `{model}` gives {fmt(output)}",
                    "use `loss cross_entropy` for one output per class",
                )
            ]
        if classes is not None and classes != 2:
            return [
                Problem(
                    ("data",),
                    f"{config.data.kind} has {classes} classes; a single output tells two apart",
                    "end the model with one output per class and use `loss cross_entropy`",
                )
            ]
        return []
    if len(output) != 1 or output[0] < 2:
        return [
            Problem(
                where,
                f"{loss.kind} needs one output per class; `{model}` gives {fmt(output)}",
                "use `loss bce` for a single output" if output == (1,) else None,
            )
        ]
    if classes is not None and output[0] != classes:
        return [
            Problem(
                ("data",),
                f"{config.data.kind} has {classes} classes; model `{model}` gives "
                f"{output[0]} outputs",
                f"end the model with `linear({classes})`",
            )
        ]
    return []


def _augment_problems(data: Data, shape: Shape | None) -> list[Problem]:
    found: list[Problem] = []
    for i, aug in enumerate(data.augment):
        loc: Loc = ("data", "augment", i)
        if aug.kind == "mixup":  # blends any samples alike: images, tables, sequences
            continue
        if shape is not None and len(shape) != 3:
            found.append(
                Problem(loc, f"{aug.kind} works on images; {data.kind} gives {fmt(shape)}")
            )
            continue
        if shape is None:
            continue
        height, width = shape[1], shape[2]
        if isinstance(aug, Crop) and aug.size != (height, width):
            found.append(
                Problem(
                    (*loc, "size"),
                    f"crop must give the image size {height}x{width}, "
                    f"not {aug.size[0]}x{aug.size[1]}",
                    f"write `crop({height}, padding={aug.padding or max(1, height // 8)})`",
                )
            )
        if isinstance(aug, Cutout) and aug.size > min(height, width):
            found.append(
                Problem(
                    (*loc, "size"),
                    f"cutout of {aug.size} is larger than the {height}x{width} image",
                )
            )
    return found


def _mix_problems(config: TrainConfig, model: str, output: Shape) -> list[Problem]:
    """Mixup and cutmix mix two samples' classes into a soft target of one score per class."""
    task = task_of(config)
    found = []
    for i, aug in enumerate(config.data.augment):
        if aug.kind not in MIXING:
            continue
        loc: Loc = ("data", "augment", i)
        if task != "classification":
            found.append(
                Problem(
                    loc,
                    f"{aug.kind} mixes class labels; a {task} task has none to mix",
                    "`erase` and `cutout` suit any task on images",
                )
            )
        elif isinstance(effective_loss(config, output), BinaryCrossEntropy):
            found.append(
                Problem(
                    loc,
                    f"{aug.kind} mixes labels into a soft target of one score per class; "
                    f"`{model}` gives {fmt(output)}, trained with bce",
                    "end the model with one output per class and use `loss cross_entropy`",
                )
            )
    return found


def _stats_problems(data: Data, shape: Shape | None) -> list[Problem]:
    if data.mean is None:
        return []
    if not data.normalize:
        return [Problem(("data", "normalize"), "`normalize=false` contradicts `mean` and `std`")]
    if shape is None:
        return []
    # One value per channel of an image, per feature of a table, or one for all.
    width = shape[0]
    if len(data.mean) in (1, width):
        return []
    unit = "channels" if len(shape) == 3 else "features"
    return [
        Problem(
            ("data", "mean"),
            f"`mean` and `std` have {len(data.mean)} values; {data.kind} has {width} {unit}",
            "give one value" if width == 1 else f"give {width} values, or one for all",
        )
    ]
