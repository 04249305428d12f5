"""The optimisers a train section names, as torch builds them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from archdsl.train.config import SGD, Adam, AdamW


def make_optimizer(
    config: SGD | Adam | AdamW,
    params: Iterable[torch.nn.Parameter] | list[dict[str, Any]],
    device: torch.device,
) -> torch.optim.Optimizer:
    """`params`: the parameters, or groups of them (see `param_groups`)."""
    fused = device.type == "cuda"  # one kernel for the whole update
    if isinstance(config, SGD):
        return torch.optim.SGD(
            params,
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
            fused=fused or None,
        )
    make = torch.optim.AdamW if isinstance(config, AdamW) else torch.optim.Adam
    return make(
        params,
        lr=config.lr,
        betas=(config.betas[0], config.betas[1]),
        eps=config.eps,
        weight_decay=config.weight_decay,
        fused=fused or None,
    )
