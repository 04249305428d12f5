"""Which held-out metric picks `best`, top-k and early stopping, and which way is better.

No torch here: `archdsl check` refuses a metric the task does not report.
"""

from __future__ import annotations

from dataclasses import dataclass

from archdsl.diagnostics.suggest import did_you_mean
from archdsl.train.config import TrainConfig

# The metrics each task reports, as `tasks` computes them; the first is the default.
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("acc",),
    "regression": ("r2", "mae"),
    "multilabel": ("f1", "label_acc"),
    "segmentation": ("miou", "pixel_acc"),
}
# Errors: lower is better. Every other metric is a score.
LOWER_IS_BETTER = frozenset({"loss", "mae"})


@dataclass(frozen=True)
class Monitor:
    key: str  # as metrics.jsonl names it: `val_loss`, `val_acc`
    higher: bool  # whether a higher value is better

    def better(self, value: float, than: float, margin: float = 0.0) -> bool:
        """Whether `value` beats `than` by more than `margin`."""
        return value > than + margin if self.higher else value < than - margin

    @property
    def rule(self) -> str:
        return f"{self.key}, {'higher' if self.higher else 'lower'} is better"


def held_out(name: str) -> str:
    """`loss` and `val_loss` both name the held-out loss."""
    return name if name.startswith("val_") else f"val_{name}"


def choices(task: str) -> list[str]:
    return ["val_loss", *(f"val_{m}" for m in TASK_METRICS[task])]


def monitor_of(config: TrainConfig, task: str) -> Monitor:
    key = held_out(config.monitor or TASK_METRICS[task][0])
    if config.monitor_mode == "auto":
        return Monitor(key, key.removeprefix("val_") not in LOWER_IS_BETTER)
    return Monitor(key, config.monitor_mode == "max")


def monitor_problem(config: TrainConfig, task: str) -> tuple[str, str] | None:
    """The message and help when `monitor` names a metric the task does not report."""
    if config.monitor is None or held_out(config.monitor) in choices(task):
        return None
    names = choices(task)
    help = did_you_mean(held_out(config.monitor), names) or "choose from " + ", ".join(names)
    return f"a {task} run reports no held-out `{config.monitor}`", help
