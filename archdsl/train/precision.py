"""The dtype a run computes its forward pass in, and the grad scaler fp16 needs.

`precision auto` keeps what `amp` always meant: bf16 autocast on CUDA, none
on a CPU. `bf16` and `fp16` autocast on either device (torch autocasts a CPU
in both); fp16's narrow exponent range needs the loss scaled up before the
backward pass and the gradients scaled back before the step, which
`torch.amp.GradScaler` does, skipping a step whose gradients overflowed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch

from archdsl.train.config import TrainConfig

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def used_precision(config: TrainConfig, device: torch.device) -> str:
    """`bf16`, `fp16` or `fp32`: what a run on `device` computes in."""
    if config.precision != "auto":
        return config.precision
    return "bf16" if device.type == "cuda" and config.amp else "fp32"


def autocast(precision: str, device: torch.device) -> Callable[[], AbstractContextManager[Any]]:
    """A fresh autocast context for each forward pass (none for fp32)."""
    dtype = DTYPES.get(precision)
    if dtype is None:
        return contextlib.nullcontext
    return lambda: torch.autocast(device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    return torch.amp.GradScaler(device.type) if precision == "fp16" else None
