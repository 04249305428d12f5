"""Batches: shuffle, shard, normalise, augment, place.

An in-memory dataset lives in one tensor, on the GPU when it fits there, so a
batch is an index and a few tensor ops, with no worker processes; a streamed
one is read by DataLoader workers in the same order (`stream_batches`). Every
process of a distributed run shuffles the same way (the epoch's generator)
and takes its own slice of each global batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch

from archdsl.train.augment import Augmentation
from archdsl.train.config import Data
from archdsl.train.data.base import Split, Stream
from archdsl.train.distributed import World
from archdsl.train.stream_batches import stats_batches, stream_batches

# Keep the dataset on the GPU when it takes less than this share of the free memory.
GPU_SHARE = 0.25


@dataclass
class Transform:
    """Raw samples to model input: float, normalised, augmented, shaped, laid out."""

    scale: torch.Tensor  # x * scale + shift normalises
    shift: torch.Tensor
    augment: list[Augmentation]
    model_input: tuple[int, ...]
    channels_last: bool

    def __call__(self, raw: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        x = raw.float() * self.scale + self.shift
        for aug, p in zip(self.augment, params or [], strict=False):
            x = aug.apply(x, p.to(x.device, non_blocking=True))
        x = x.reshape(len(x), *self.model_input)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def normaliser(
    config: Data, train: Split | Stream, raw_scale: float, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and shift standardising each channel (images) or feature (tables).

    Values are first divided by `raw_scale` (255 for 8-bit images) into [0, 1];
    the mean and deviation are the config's, or else the training split's
    (of a fixed sample of it, when it is streamed).
    """
    shape = train.sample_shape
    width = shape[0]
    if not config.normalize:
        mean, std = torch.zeros(width), torch.ones(width)
    elif config.mean is not None and config.std is not None:
        mean = torch.tensor(config.mean).expand(width)
        std = torch.tensor(config.std).expand(width)
    else:
        chunks = _chunks(train.x) if isinstance(train, Split) else stats_batches(train)
        mean, std = _statistics(chunks, width, raw_scale)
    view = [1, width] + [1] * (len(shape) - 1)
    scale = (1.0 / (raw_scale * std)).reshape(view)
    shift = (-mean / std).reshape(view)
    return scale.float().to(device), shift.float().to(device)


# Values per chunk of the statistics: 128 MiB in float64, whatever the sample size.
STATS_CHUNK = 1 << 24


def _chunks(x: torch.Tensor) -> Iterator[torch.Tensor]:
    yield from torch.split(x, max(1, STATS_CHUNK // max(1, x[0].numel())))


def _statistics(
    chunks: Iterable[torch.Tensor], width: int, raw_scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each channel's (or feature's) mean and deviation, over samples given in chunks."""
    total = torch.zeros(width, dtype=torch.float64)
    squares = torch.zeros_like(total)
    count = 0
    for chunk in chunks:
        values = chunk.double() / raw_scale
        dims = [d for d in range(values.dim()) if d != 1]
        total += values.sum(dims)
        squares += (values**2).sum(dims)
        count += values.numel() // width
    mean = total / max(count, 1)
    std = (squares / max(count, 1) - mean**2).clamp_min(0).sqrt()
    return mean, torch.where(std > 1e-8, std, torch.ones_like(std))  # a constant feature stays


def place(split: Split | Stream, device: torch.device) -> Split | Stream:
    """The split on the GPU when it fits comfortably, else in (pinned) host memory."""
    if device.type != "cuda" or isinstance(split, Stream):
        return split
    free, _ = torch.cuda.mem_get_info(device)
    size = split.x.numel() * split.x.element_size() + split.y.numel() * 8
    if size < GPU_SHARE * free:
        return Split(split.x.to(device), split.y.to(device))
    return Split(split.x.pin_memory(), split.y.pin_memory())


class Loader:
    """One split in batches of `batch` (the global batch), this process's share of each."""

    def __init__(
        self,
        split: Split | Stream,
        batch: int,
        transform: Transform,
        world: World,
        device: torch.device,
        train: bool,
        window: int = 1,
    ) -> None:
        self.split = split
        self.batch = batch
        self.transform = transform
        self.world = world
        self.device = device
        self.train = train
        n = len(split)
        # Training drops the last partial batch, so every step has the full global batch,
        # and the last partial window of `window` batches (`accumulate`), so every
        # optimiser step has them all.
        self.steps = n // (batch * window) * window if train else math.ceil(n / batch)

    def batches(
        self,
        gen: torch.Generator | None = None,
        start: int = 0,
        gen_state: torch.Tensor | None = None,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Steps `start` onwards; training shuffles with `gen`, drawn before step 0.

        A run resumed inside an epoch passes the generator's state as it was
        at step `start`, to draw from there exactly what it would have drawn.
        """
        n = len(self.split)
        order = torch.randperm(n, generator=gen) if self.train else torch.arange(n)
        if gen is not None and gen_state is not None:
            gen.set_state(gen_state)
        if isinstance(self.split, Split):
            order = order.to(self.split.x.device)
        per = math.ceil(self.batch / self.world.size)
        shares = []
        for step in range(start, self.steps):
            chunk = order[step * self.batch : (step + 1) * self.batch]
            shares.append((len(chunk), chunk[self.world.rank * per : (self.world.rank + 1) * per]))
        samples = self._read([mine for _, mine in shares if len(mine)])
        for size, mine in shares:
            params = None
            if self.train and gen is not None:
                every = [aug.draw(size, gen) for aug in self.transform.augment]
                params = [p[self.world.rank * per : (self.world.rank + 1) * per] for p in every]
            if len(mine) == 0:
                continue
            x, y = next(samples)
            yield self.transform(x, params), y

    def _read(self, shares: list[torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if isinstance(self.split, Stream):
            yield from stream_batches(self.split, shares, self.device)
            return
        x, y = self.split.x, self.split.y
        for mine in shares:
            yield (
                x[mine].to(self.device, non_blocking=True),
                y[mine].to(self.device, non_blocking=True),
            )
