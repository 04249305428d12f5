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
from archdsl.train.freeze import hold_eval
from archdsl.train.progress import ProgressView
from archdsl.train.session import Session
from archdsl.train.signals import StopRequest

# How often a GPU run reads its sums back (each read waits for the GPU).
GPU_CHECK_EVERY = 25


@dataclass
class Totals:
    """Sums over the steps of an epoch so far, on this process."""

    loss: float = 0.0  # sum of per-sample losses
    count: int = 0
    seconds: float = 0.0
    sums: list[float] = field(default_factory=list)  # the task's metric sums; [] before any

    def as_list(self) -> list[float]:
        return [self.loss, float(self.count), self.seconds, *self.sums]

    @staticmethod
    def from_list(values: list[float]) -> Totals:
        return Totals(values[0], int(values[1]), values[2], list(values[3:]))

    def plus(self, loss: float, count: int, seconds: float, sums: list[float]) -> Totals:
        added = [a + b for a, b in zip(self.sums, sums, strict=True)] if self.sums else sums
        return Totals(self.loss + loss, self.count + count, self.seconds + seconds, added)


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
    hold_eval(s.frozen_norms)
    check_every = 1 if s.device.type == "cpu" else GPU_CHECK_EVERY
    gen = epoch_generator(s.config.seed, epoch)
    loss_sum = torch.zeros((), device=s.device)
    sums = torch.zeros(s.objective.width(s.model.output), dtype=torch.float64, device=s.device)
    bad = torch.zeros((), dtype=torch.bool, device=s.device)
    count = 0
    step = start
    stopping = False
    view.start_epoch(epoch, s.train.steps, start)
    began = time.perf_counter()
    batches = s.train.batches(gen, start, gen_state)
    for x, y in batches:
        with s.stepper.synced(step):  # under DDP, one all-reduce per optimiser step
            with s.autocast():
                out = s.network(x)
            loss = s.objective.loss(out, y)
            s.stepper.backward(loss, step)
        step += 1
        n = len(y)
        detached = loss.detach()
        bad |= ~torch.isfinite(detached)
        loss_sum += detached * n
        sums += s.objective.sums(s.objective.main(out).detach(), y)
        count += n
        if step % check_every and step != s.train.steps and not stopping:
            continue
        diverged, stopping = any_all([bool(bad), stop.requested], s.world, s.device)
        if diverged:
            return EpochEnd("diverged", step)
        seconds = time.perf_counter() - began
        so_far = before.plus(float(loss_sum), count, seconds, _listed(sums))
        view.update(
            step,
            so_far.loss / max(1, so_far.count),
            main_metric(s, so_far),
            count * s.world.size / max(seconds, 1e-9),
        )
        # A stop waits for the end of an accumulation window: no gradient is left unapplied.
        if stopping and step < s.train.steps and s.stepper.at_boundary(step):
            return EpochEnd("stopped", step, so_far, gen.get_state())
    if s.device.type == "cuda":
        torch.cuda.synchronize(s.device)  # the clock must include the queued work
    seconds = time.perf_counter() - began
    totals = before.plus(float(loss_sum), count, seconds, _listed(sums))
    return EpochEnd("done", step, totals, stop_requested=stopping)


def _listed(sums: torch.Tensor) -> list[float]:
    return [float(v) for v in sums.tolist()]


def main_metric(s: Session, totals: Totals) -> float:
    return s.objective.metrics(totals.sums, totals.count)[s.objective.names[0]]


def global_totals(totals: Totals, s: Session) -> Totals:
    """The sums over all processes (the time is rank 0's)."""
    t = torch.tensor(
        [totals.loss, float(totals.count), *totals.sums], dtype=torch.float64, device=s.device
    )
    loss, count, *sums = sum_all(t, s.world).tolist()
    return Totals(loss, int(count), totals.seconds, sums)


@torch.no_grad()
def evaluate(s: Session) -> tuple[float, dict[str, float]]:
    """Mean loss and the task's metrics on the held-out split, over all processes."""
    network = s.evaluated
    network.eval()
    loss = torch.zeros(2, dtype=torch.float64, device=s.device)
    sums = torch.zeros(s.objective.width(s.model.output), dtype=torch.float64, device=s.device)
    for x, y in s.val.batches():
        with s.autocast():
            out = s.objective.main(network(x))  # held out: the trained output alone
        loss[0] += s.objective.loss(out, y).double() * len(y)
        loss[1] += len(y)
        sums += s.objective.sums(out, y)
    total, count = sum_all(loss, s.world).tolist()
    return total / max(count, 1), s.objective.metrics(sum_all(sums, s.world).tolist(), int(count))
