"""One epoch of training, and evaluation on the held-out split.

Running sums stay on the device; they are read back only every few steps
(every step on a CPU, where reading costs nothing) to show progress, to
notice a non-finite loss and to agree across processes on stopping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import torch

from archdsl.train.distributed import any_all, sum_all
from archdsl.train.progress import ProgressView
from archdsl.train.session import Session
from archdsl.train.signals import StopRequest

# How often a GPU run reads its sums back (each read waits for the GPU).
GPU_CHECK_EVERY = 25


@dataclass
class Totals:
    """Sums over the steps of an epoch so far, on this process."""

    loss: float = 0.0  # sum of per-sample losses
    correct: float = 0.0
    count: int = 0
    seconds: float = 0.0

    def as_list(self) -> list[float]:
        return [self.loss, self.correct, float(self.count), self.seconds]

    @staticmethod
    def from_list(values: list[float]) -> Totals:
        return Totals(values[0], values[1], int(values[2]), values[3])


@dataclass
class EpochEnd:
    outcome: Literal["done", "stopped", "diverged"]
    steps: int  # steps of this epoch done, counting those before a resume
    totals: Totals = field(default_factory=Totals)
    gen_state: torch.Tensor | None = None  # the shuffling generator, for a mid-epoch resume
    stop_requested: bool = False  # a signal came during the last step: stop after this epoch


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The generator that shuffles and augments epoch `epoch`; a function of the seed alone."""
    return torch.Generator().manual_seed((seed * 1_000_003 + epoch) % 2**64)


def train_epoch(
    s: Session,
    epoch: int,
    start: int,
    gen_state: torch.Tensor | None,
    before: Totals,
    stop: StopRequest,
    view: ProgressView,
) -> EpochEnd:
    """Train epoch `epoch` (1-based) from step `start`, with the sums of the steps before."""
    s.network.train()
    check_every = 1 if s.device.type == "cpu" else GPU_CHECK_EVERY
    gen = epoch_generator(s.config.seed, epoch)
    loss_sum = torch.zeros((), device=s.device)
    correct = torch.zeros((), device=s.device)
    bad = torch.zeros((), dtype=torch.bool, device=s.device)
    count = 0
    step = start
    stopping = False
    view.start_epoch(epoch, s.train.steps, start)
    began = time.perf_counter()
    batches = s.train.batches(gen, start, gen_state)
    for x, y in batches:
        with s.autocast():
            out = s.network(x)
        loss = s.objective.loss(out, y)
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        s.optimizer.step()
        s.scheduler.step()
        step += 1
        n = len(y)
        detached = loss.detach()
        bad |= ~torch.isfinite(detached)
        loss_sum += detached * n
        correct += s.objective.correct(s.objective.main(out).detach(), y)
        count += n
        if step % check_every and step != s.train.steps:
            continue
        diverged, stopping = any_all([bool(bad), stop.requested], s.world, s.device)
        if diverged:
            return EpochEnd("diverged", step)
        seconds = time.perf_counter() - began
        view.update(
            step,
            (before.loss + float(loss_sum)) / max(1, before.count + count),
            (before.correct + float(correct)) / max(1, before.count + count),
            count * s.world.size / max(seconds, 1e-9),
        )
        if stopping and step < s.train.steps:
            totals = _totals(before, loss_sum, correct, count, seconds)
            return EpochEnd("stopped", step, totals, gen.get_state())
    if s.device.type == "cuda":
        torch.cuda.synchronize(s.device)  # the clock must include the queued work
    totals = _totals(before, loss_sum, correct, count, time.perf_counter() - began)
    return EpochEnd("done", step, totals, stop_requested=stopping)


def _totals(
    before: Totals, loss_sum: torch.Tensor, correct: torch.Tensor, count: int, seconds: float
) -> Totals:
    return Totals(
        before.loss + float(loss_sum),
        before.correct + float(correct),
        before.count + count,
        before.seconds + seconds,
    )


def global_totals(totals: Totals, s: Session) -> Totals:
    """The sums over all processes (the time is rank 0's)."""
    t = torch.tensor(
        [totals.loss, totals.correct, float(totals.count)], dtype=torch.float64, device=s.device
    )
    loss, correct, count = sum_all(t, s.world).tolist()
    return Totals(loss, correct, int(count), totals.seconds)


@torch.no_grad()
def evaluate(s: Session) -> tuple[float, float]:
    """Mean loss and accuracy on the held-out split, over all processes."""
    s.network.eval()
    sums = torch.zeros(3, dtype=torch.float64, device=s.device)
    for x, y in s.val.batches():
        with s.autocast():
            out = s.objective.main(s.network(x))  # held out: the trained output alone
        sums[0] += s.objective.loss(out, y).double() * len(y)
        sums[1] += s.objective.correct(out, y).double()
        sums[2] += len(y)
    loss, correct, count = sum_all(sums, s.world).tolist()
    return loss / max(count, 1), correct / max(count, 1)
