"""The run folder before training starts: a fresh one, or the checkpoint to resume.

Rank 0 alone touches the folder; it shares what it found (or why it refuses)
with every other process, so they all fail alike or start alike. A resume is
refused, saying what changed, when the model or the configuration differs
from the checkpoint's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from archdsl.ir import Model
from archdsl.train import checkpoint, metrics
from archdsl.train.atomic import write_atomic
from archdsl.train.checkpoint import Checkpoint
from archdsl.train.config import TrainConfig
from archdsl.train.distributed import World, share
from archdsl.train.errors import TrainError
from archdsl.train.fingerprint import changes, digest

CONFIG_JSON = "config.json"


@dataclass(frozen=True)
class RunOptions:
    out: Path
    resume: bool = False
    # The command that started the run, to tell the user how to resume it.
    command: str = "archdsl train"
    # How to continue, where not `command --resume` (from Python: `resume=True`).
    resume_hint: str = ""


def open_run_folder(
    options: RunOptions,
    model: Model,
    config: TrainConfig,
    world: World,
    device: torch.device,
    layers: dict[str, str],
    values: dict[str, Any],
) -> Checkpoint | None:
    """The checkpoint to resume from, or None for a fresh run; TrainError when refused."""
    found: dict[str, Any] | None = None
    if world.main:
        try:
            if options.resume:
                found = {"resume": resumable(options.out, layers, values)}
            else:
                fresh(options.out, model, config, world, device)
                found = {}
        except TrainError as exc:
            found = {"error": str(exc)}
    found = share(found, world)
    assert found is not None
    if "error" in found:
        raise TrainError(found["error"])
    resume: Checkpoint | None = found.get("resume")
    return resume


def fresh(out: Path, model: Model, config: TrainConfig, world: World, device: torch.device) -> None:
    if (out / checkpoint.STATE_JSON).exists():
        raise TrainError(
            f"{out} already holds a run; add --resume to continue it, "
            "or choose another folder with --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainError(f"cannot make the run folder {out}: {exc.strerror}") from None
    run = {"model": model.name, "world_size": world.size, "device": str(device)}
    saved = {"config": config.model_dump(mode="json"), "run": run}
    write_atomic(out / CONFIG_JSON, json.dumps(saved, indent=1).encode())
    metrics.rewrite(out, [])


def resumable(out: Path, layers: dict[str, str], values: dict[str, Any]) -> Checkpoint:
    found = checkpoint.load(out)
    info = found.info
    problems = []
    if info["model"]["hash"] != digest(layers):
        lines = changes(info["model"]["layers"], layers)
        problems.append("the model changed:\n    " + "\n    ".join(lines))
    if info["config"]["hash"] != digest(values):
        lines = changes(info["config"]["values"], values)
        problems.append("the training configuration changed:\n    " + "\n    ".join(lines))
    if problems:
        raise TrainError(
            f"cannot resume the run in {out}: "
            + "; ".join(problems)
            + "\n  undo the change, or start a new run with another --out"
        )
    metrics.rewrite(out, info["history"])
    return found
