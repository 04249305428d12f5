"""Batches of a streamed split, read by DataLoader workers in an order given in advance.

The run decides every batch's indices itself (the epoch's seeded shuffle,
each process's slice), and hands them to a DataLoader as its batch sampler:
workers only decode samples, so a streamed split is shuffled, sharded,
augmented and resumed exactly as an in-memory one is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader

from archdsl.train.data.base import Stream
from archdsl.train.errors import DataError

# How many samples of a streamed training split give its mean and deviation.
STATS_SAMPLES = 2048
STATS_SEED = 0


def workers(stream: Stream) -> int:
    """The stream's own choice, or one worker per core but one, at most 8."""
    if stream.workers is not None:
        return stream.workers
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def stream_batches(
    stream: Stream, shares: list[torch.Tensor], device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The samples at each index tensor of `shares`, in that order, on `device`."""
    if not shares:
        return
    loader = DataLoader(
        stream.dataset,
        batch_sampler=[share.tolist() for share in shares],
        num_workers=workers(stream),
        collate_fn=stream.collate,
        pin_memory=device.type == "cuda",
    )
    try:
        for x, y in loader:
            x, y = torch.as_tensor(x), torch.as_tensor(y)
            _check_labels(y, stream.classes)
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)
    except DataError as exc:
        # A worker's error arrives with its traceback in the message: keep the last line.
        last = str(exc).strip().splitlines()[-1]
        raise DataError(last.split(": ", 1)[1] if last.startswith("archdsl.") else last) from None


def _check_labels(y: torch.Tensor, classes: int | None) -> None:
    if classes is None or y.dtype.is_floating_point or y.numel() == 0:
        return
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= classes:
        bad = low if low < 0 else high
        raise DataError(f"a sample is labelled {bad}; the model tells {classes} classes apart")


def stats_batches(stream: Stream) -> Iterator[torch.Tensor]:
    """Up to STATS_SAMPLES samples in batches, the same ones every time."""
    n = len(stream)
    gen = torch.Generator().manual_seed(STATS_SEED)
    picked = torch.randperm(n, generator=gen)[:STATS_SAMPLES].sort().values
    for x, _ in stream_batches(stream, list(torch.split(picked, 64)), torch.device("cpu")):
        yield x
