"""An exponential moving average of the weights (and buffers), as torch keeps one.

After each optimiser step, average = decay * average + (1 - decay) * weights;
the first step copies the weights. Batch-norm statistics are averaged too, so
the average is a model of its own, evaluated and exported as it is.
"""

from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def averaged(module: nn.Module, decay: float | None) -> AveragedModel | None:
    """A copy of `module` kept as the average; None without `ema`."""
    if decay is None:
        return None
    average = get_ema_multi_avg_fn(decay)  # type: ignore[no-untyped-call]
    return AveragedModel(module, multi_avg_fn=average, use_buffers=True)
