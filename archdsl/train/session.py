"""Everything a run needs, built once: device, data, network, objective, optimiser.

The CUDA-only choices (bf16 autocast, channels-last, the dataset on the GPU,
fused optimisers) are all taken here from the device, so the training loop
reads the same on a CPU and a GPU.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from archdsl.backend import build
from archdsl.backend.allocation import TooLarge, check_fits
from archdsl.ir import Model, Shape
from archdsl.train.augment import augmentations
from archdsl.train.compat import class_count, effective_loss, fits, fmt
from archdsl.train.config import Init, InitFrom, TrainConfig
from archdsl.train.data import load_data
from archdsl.train.data.base import LoadedData
from archdsl.train.distributed import World
from archdsl.train.ema import averaged
from archdsl.train.errors import TrainError
from archdsl.train.freeze import freeze
from archdsl.train.head import final_activation
from archdsl.train.init_weights import load_init
from archdsl.train.loader import Loader, Transform, normaliser, place
from archdsl.train.mix import check_pairs
from archdsl.train.optim import make_optimizer
from archdsl.train.outputs import trained_output
from archdsl.train.param_groups import decay_groups
from archdsl.train.precision import autocast, grad_scaler, used_precision
from archdsl.train.schedule import make_scheduler
from archdsl.train.shipping import shipping_metadata
from archdsl.train.stepper import Stepper
from archdsl.train.task_checks import task_of
from archdsl.train.tasks import make_task
from archdsl.train.tasks.several_outputs import SeveralOutputs
from archdsl.train.tasks.targets import check_targets
from archdsl.train.words import counted


@dataclass
class Session:
    model: Model
    config: TrainConfig
    world: World
    device: torch.device
    data: LoadedData
    module: nn.Module  # the plain module: its state_dict is what checkpoints hold
    network: nn.Module  # what runs the batches: the module, wrapped in DDP or compiled
    objective: SeveralOutputs
    train: Loader
    val: Loader
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    autocast: Callable[[], AbstractContextManager[Any]]
    # How to feed the trained model from outside: written beside its weights.
    metadata: dict[str, str] = field(default_factory=dict)
    # The batch norms of frozen parts: kept in eval mode while the rest trains.
    frozen_norms: list[nn.Module] = field(default_factory=list)
    # What each batch's loss does: backward, and the optimiser step (train/stepper.py).
    stepper: Stepper = field(kw_only=True)

    @property
    def evaluated(self) -> nn.Module:
        """What runs the held-out batches: the weights' average with `ema`."""
        return self.stepper.ema.module if self.stepper.ema is not None else self.network

    @property
    def total_steps(self) -> int:
        return self.config.epochs * self.train.steps


def pick_device(choice: str, world: World) -> torch.device:
    if choice == "cpu" or (choice == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise TrainError("`device cuda` was asked for, but torch sees no CUDA GPU here")
    if world.local_rank >= torch.cuda.device_count():
        raise TrainError(
            f"process {world.local_rank} on this machine has no GPU of its own "
            f"({torch.cuda.device_count()} found); start at most that many processes per machine"
        )
    torch.cuda.set_device(world.local_rank)
    return torch.device("cuda", world.local_rank)


# Below this many multiply-accumulates per step (forward, per process), a CPU run uses
# one thread: ops this small take longer to share out than to compute, and far
# longer when other processes keep the cores busy.
SMALL_STEP_MACS = 500_000_000


@contextlib.contextmanager
def settled(
    config: TrainConfig, model: Model, device: torch.device, world: World
) -> Iterator[None]:
    """Process-wide settings for a run (threads, determinism, cuDNN autotuning), then back."""
    before = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.benchmark,
    )
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads(config, model, world))
    if config.deterministic:
        if device.type == "cuda":
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = not config.deterministic
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1])
        torch.backends.cudnn.benchmark = before[2]


def cpu_threads(config: TrainConfig, model: Model, world: World) -> int:
    if config.threads is not None:
        return config.threads
    if model.macs * config.batch // world.size < SMALL_STEP_MACS:
        return 1
    # Processes sharing a machine share its cores; more threads would only contend.
    return max(1, (os.cpu_count() or 1) // world.local_size)


def open_session(
    model: Model,
    config: TrainConfig,
    world: World,
    device: torch.device,
    given: LoadedData | None = None,
    pretrained: bool = True,
) -> Session:
    """`given` is data handed over from Python (`archdsl.fit`); else the config's dataset.
    `pretrained`: load `init from(...)`; not for weights a checkpoint replaces (a resumed
    run, an evaluation)."""
    try:  # the weights on this host; on a CPU, a step's activations too
        check_fits(model, 0 if device.type == "cuda" else config.batch)
    except TooLarge as exc:
        raise TrainError(str(exc)) from None
    trained = trained_output(config, model)
    data = given or load_data(config.data, model.input, trained.shape, task_of(config))
    check_data(data, model, config, world, trained.shape)
    cuda = device.type == "cuda"
    _, channels_last = cuda_choices(config, model, device)
    precision = used_precision(config, device)
    scale, shift = normaliser(config.data, data.train, data.scale, device)
    transform = Transform(
        scale=scale,
        shift=shift,
        augment=augmentations(config.data.augment, data.sample_shape, trained.shape[0]),
        model_input=model.input,
        channels_last=channels_last,
    )
    torch.manual_seed(config.seed)  # the initial weights follow from the seed
    init = config.init if isinstance(config.init, Init) else None
    module = build(
        model,
        init=init.kind if init else None,
        zero_init_residual=init.zero_init_residual if init else None,
    )
    if isinstance(config.init, InitFrom) and pretrained:
        load_init(module, config.init.path)
    frozen_norms = freeze(module, config.freeze)
    module = module.to(device)
    if transform.channels_last:
        module = module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    network: nn.Module = module
    ddp = None
    if world.size > 1:
        ddp = nn.parallel.DistributedDataParallel(
            module, device_ids=[device.index] if cuda else None
        )
        network = ddp
    if config.compile:
        network = torch.compile(network)  # type: ignore[assignment]
    k = config.accumulate
    train = Loader(
        place(data.train, device), config.batch, transform, world, device, train=True, window=k
    )
    val = Loader(place(data.val, device), config.batch, transform, world, device, train=False)
    groups = decay_groups(module, config.optimizer.weight_decay, config.no_decay)
    optimizer = make_optimizer(config.optimizer, groups, device)
    per_epoch = train.steps // k  # the schedule counts optimiser steps
    scheduler = make_scheduler(config.schedule, optimizer, config.epochs * per_epoch, per_epoch)
    stepper = Stepper(
        module,
        optimizer,
        scheduler,
        accumulate=k,
        clip=config.clip,
        scaler=grad_scaler(precision, device),
        ema=averaged(module, config.ema),
        ddp=ddp,
    )
    objective = SeveralOutputs(
        make_task(
            task_of(config),
            effective_loss(config, trained.shape),
            final_activation(model, trained.value),
        ),
        trained,
    )
    return Session(
        model,
        config,
        world,
        device,
        data,
        module,
        network,
        objective,
        train,
        val,
        optimizer,
        scheduler,
        autocast(precision, device),
        shipping_metadata(model, data, scale, shift, task_of(config)),
        frozen_norms,
        stepper=stepper,
    )


def cuda_choices(config: TrainConfig, model: Model, device: torch.device) -> tuple[bool, bool]:
    """Whether a run on `device` autocasts (see `precision`) and uses channels-last
    images (CUDA only)."""
    cuda = device.type == "cuda"
    amp = used_precision(config, device) != "fp32"
    return amp, cuda and config.channels_last and len(model.input) == 3


def check_data(
    data: LoadedData, model: Model, config: TrainConfig, world: World, output: Shape
) -> None:
    """What only the loaded data can tell: its real shape, classes and size (`output`:
    the shape of the output trained)."""
    if not fits(data.sample_shape, model.input):
        raise TrainError(
            f"{data.name} gives samples of shape {fmt(data.sample_shape)}; "
            f"model `{model.name}` takes {fmt(model.input)}"
        )
    task = task_of(config)
    expected = class_count(config.data, output)
    outputs = 2 if output == (1,) else output[0]
    if task != "classification":
        check_targets(data, model, task)
    elif expected is None and data.classes != outputs:
        raise TrainError(
            f"{data.name} has {counted(data.classes, 'class')}; model `{model.name}` gives "
            f"{fmt(output)}"
        )
    if config.batch % world.size:
        raise TrainError(
            f"the batch of {config.batch} does not split evenly over {world.size} processes"
        )
    check_pairs(config.data.augment, config.batch, world.size)
    if config.batch > len(data.train):
        raise TrainError(
            f"the batch of {config.batch} is larger than the {len(data.train)} training samples"
            f" of {data.name}; make `batch` at most {len(data.train)}"
        )
    if config.batch * config.accumulate > len(data.train):
        raise TrainError(
            f"`accumulate {config.accumulate}` batches of {config.batch} take "
            f"{config.batch * config.accumulate} samples a step, more than the "
            f"{len(data.train)} training samples of {data.name}; make `accumulate` at most "
            f"{len(data.train) // config.batch}"
        )
