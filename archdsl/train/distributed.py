"""Data-parallel training: which process this is, and the few collectives.

A run with N processes splits every global batch N ways and averages the
gradients (DistributedDataParallel): gloo on CPUs, NCCL on GPUs. Processes come
from `--nproc N` (see `launch`), or from torchrun; either way their
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) is read
as it is. Only rank 0 prints and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def world_from_env() -> World:
    """This process's place, as torchrun (or `--nproc`) describes it; one process if unset."""
    env = os.environ
    size = int(env.get("WORLD_SIZE", "1"))
    return World(
        rank=int(env.get("RANK", "0")),
        size=size,
        local_rank=int(env.get("LOCAL_RANK", "0")),
        local_size=int(env.get("LOCAL_WORLD_SIZE", str(size))),
    )


def start(world: World, device: torch.device) -> None:
    if world.size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=world.rank, world_size=world.size)


def stop(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def sum_all(tensor: torch.Tensor, world: World) -> torch.Tensor:
    """The element-wise sum over all processes (in place)."""
    if world.size > 1:
        dist.all_reduce(tensor)
    return tensor


def any_all(flags: list[bool], world: World, device: torch.device) -> list[bool]:
    """Each flag raised on any process, so that all processes decide alike."""
    if world.size == 1:
        return flags
    t = torch.tensor([int(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def share(obj: Any, world: World) -> Any:
    """Rank 0's `obj`, on every process."""
    if world.size == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(obj: Any, world: World) -> list[Any]:
    """Every process's `obj`, by rank, on every process."""
    if world.size == 1:
        return [obj]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, obj)
    return out
