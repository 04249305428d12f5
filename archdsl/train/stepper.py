"""What a batch's loss does to the weights: backward, then every `accumulate`
batches one optimiser step (unscale, clip, step, schedule, average).

With `accumulate k`, each of k batches of b adds its gradient divided by k,
so the step is the one a batch of k x b would take (the loss is a mean over
the batch); the schedule counts these steps. Windows of k batches start at
each epoch's first batch, an epoch holds whole windows only, and a run
stops for a signal only between windows, so every checkpoint lies on a step
boundary with no gradient in flight.

Under DDP, the window's first k-1 batches run inside `no_sync` (`synced`):
their gradients add up on each process, and only the last batch's backward
all-reduces the sum, once per optimiser step.

Off (accumulate 1, no clip, no ema, no fp16), a batch costs exactly the plain
zero_grad, backward, step, schedule step.
"""

from __future__ import annotations

import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel

from archdsl.train.checkpoint import load_into
from archdsl.train.errors import TrainError


class Stepper:
    def __init__(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: LambdaLR,
        accumulate: int = 1,
        clip: float | None = None,
        scaler: torch.amp.GradScaler | None = None,
        ema: AveragedModel | None = None,
        ddp: DistributedDataParallel | None = None,
    ) -> None:
        self.module = module
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.accumulate = accumulate
        self.clip = clip
        self.scaler = scaler
        self.ema = ema
        self.ddp = ddp  # the DDP wrapper of `module` (under any torch.compile), when one
        self.params = [p for g in optimizer.param_groups for p in g["params"]]

    def synced(self, step: int) -> AbstractContextManager[Any]:
        """What batch `step`'s forward and backward run in: DDP's `no_sync` for all but a
        window's last batch, whose backward all-reduces the window's summed gradients."""
        if self.ddp is None or (step + 1) % self.accumulate == 0:
            return nullcontext()
        return self.ddp.no_sync()

    def backward(self, loss: torch.Tensor, step: int) -> None:
        """Batch `step` (0-based, within its epoch) adds its gradient; the window's last
        batch then steps."""
        k = self.accumulate
        if step % k == 0:
            self.optimizer.zero_grad(set_to_none=True)
        if k > 1:
            loss = loss / k
        if self.scaler is not None:
            loss = self.scaler.scale(loss)
        loss.backward()  # type: ignore[no-untyped-call]
        if (step + 1) % k == 0:
            self._step()

    def _step(self) -> None:
        scaler = self.scaler
        if self.clip is not None:
            if scaler is not None:
                scaler.unscale_(self.optimizer)  # clip the true gradients, not scaled ones
            nn.utils.clip_grad_norm_(self.params, self.clip)
        if scaler is not None:
            scaler.step(self.optimizer)  # skipped when a gradient overflowed
            scaler.update()
            with warnings.catch_warnings():
                # The schedule moves on over a skipped step (as timm's does); torch warns
                # when the very first one is skipped.
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler", UserWarning)
                self.scheduler.step()
        else:
            self.optimizer.step()
            self.scheduler.step()
        if self.ema is not None:
            self.ema.update_parameters(self.module)

    def at_boundary(self, steps_done: int) -> bool:
        """Whether `steps_done` batches of an epoch end a window: a run may stop there."""
        return steps_done % self.accumulate == 0

    @property
    def shipped(self) -> nn.Module:
        """What is evaluated and exported: the average with `ema`, else the module."""
        return self.ema.module if self.ema is not None else self.module

    def state_dict(self) -> dict[str, Any]:
        """For state.pt: with `ema`, the trained weights (the weights file holds the
        average) and how many steps it has averaged; with fp16, the scaler's state."""
        ema, scaler = self.ema, self.scaler
        return {
            "weights": self.module.state_dict() if ema is not None else None,
            "averaged": int(ema.n_averaged.item()) if ema is not None else None,
            "scaler": scaler.state_dict() if scaler is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any], source: Path) -> None:
        """What `state_dict` saved; TrainError when `ema` is on and state.pt lacks it.
        A scaler starts afresh when none was saved (a run resumed in fp16 after bf16)."""
        ema, scaler = self.ema, self.scaler
        if ema is not None:
            weights, count = state.get("weights"), state.get("averaged")
            if weights is None or count is None:
                raise TrainError(
                    f"{source} lacks the trained weights beside their average; "
                    "it cannot be resumed from"
                )
            load_into(self.module, weights, source)
            ema.n_averaged.fill_(count)
        if scaler is not None and state.get("scaler") is not None:
            scaler.load_state_dict(state["scaler"])
