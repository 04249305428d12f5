"""Learning-rate schedules, stepped once per optimiser step.

Each schedule is a factor of the optimiser's rate as a pure function of the
step, so a resumed run's scheduler needs nothing but its step count. Every
schedule may begin with a linear warmup over `warmup` of all steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.optim.lr_scheduler import LambdaLR

from archdsl.train.config import Constant, Cosine, OneCycle, Step

ScheduleConfig = Constant | Step | Cosine | OneCycle


def factor(config: ScheduleConfig, total: int, per_epoch: int) -> Callable[[int], float]:
    """The rate factor at each step of a run of `total` steps, `per_epoch` to an epoch."""
    warm = round(config.warmup * total)

    def at(step: int) -> float:
        ramp = min(1.0, (step + 1) / warm) if warm else 1.0
        after = max(0, step - warm) / max(1, total - warm)  # progress after the warmup
        return ramp * _shape(config, min(after, 1.0), step // max(1, per_epoch))

    return at


def _shape(config: ScheduleConfig, progress: float, epoch: int) -> float:
    if isinstance(config, Cosine):
        return config.final + (1 - config.final) * 0.5 * (1 + math.cos(math.pi * progress))
    if isinstance(config, OneCycle):
        return 1 - (1 - config.final) * progress
    if isinstance(config, Step):
        passed = (
            epoch // config.every
            if config.every
            else sum(m <= epoch for m in config.milestones or [])
        )
        return float(config.gamma**passed)
    return 1.0


def make_scheduler(
    config: ScheduleConfig, optimizer: torch.optim.Optimizer, total: int, per_epoch: int
) -> LambdaLR:
    return LambdaLR(optimizer, factor(config, total, per_epoch))
