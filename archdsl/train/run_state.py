"""What `state.json` and `state.pt` must hold before a run resumes from them.

A run folder may have been edited, truncated or mixed with another run's
files; each is checked here, whole, so that `--resume` refuses it with a
message naming the file and the field instead of failing somewhere inside
the trainer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from archdsl.train.errors import TrainError

# state.json grows by one record an epoch; a file past this size is not one of ours.
MAX_STATE_JSON = 64 << 20
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)


class Record(_Strict):
    """One finished epoch, as metrics.jsonl has it (further keys are kept as they are:
    the task's metrics, `val_acc` for classification)."""

    model_config = ConfigDict(extra="allow")
    epoch: Annotated[int, Field(ge=1)]
    val_loss: float


class Best(_Strict):
    """The best epoch so far by the task's first metric (`val_acc`, `val_r2`, ...)."""

    model_config = ConfigDict(extra="allow")
    val_loss: float | None = None
    epoch: Count


class Fingerprint(_Strict):
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    values: dict[str, Any]


class ModelFingerprint(_Strict):
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    layers: dict[str, str]


class RunState(_Strict):
    """state.json."""

    model_config = ConfigDict(extra="forbid")
    format: Literal[1]
    model_name: str
    status: Literal["running", "interrupted", "finished"]
    epoch: Count
    epochs: Annotated[int, Field(ge=1)]
    step: Count
    epoch_step: Count
    best: Best
    history: list[Record]
    world_size: Annotated[int, Field(ge=1)]
    model: ModelFingerprint
    config: Fingerprint

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.epoch > self.epochs:
            raise ValueError(f"epoch {self.epoch} is past the run's {self.epochs} epochs")
        if [r.epoch for r in self.history] != list(range(1, self.epoch + 1)):
            raise ValueError(f"history does not list epochs 1 to {self.epoch}")
        if self.best.epoch > self.epoch:
            raise ValueError(f"the best epoch {self.best.epoch} is after epoch {self.epoch}")
        return self


class RngState(_Strict):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    cpu: torch.Tensor
    cuda: torch.Tensor | None = None


class TrainerState(_Strict):
    """state.pt."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
    step: Count
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: list[RngState | None]
    generator: torch.Tensor | None
    # Loss, samples, seconds, then the task's metric sums (one for classification).
    partial: Annotated[list[float], Field(min_length=4)] | None
    # With `ema`: the trained weights (the weights file holds their average) and the
    # steps averaged; with fp16: the grad scaler's state (see `stepper`).
    weights: dict[str, torch.Tensor] | None = None
    averaged: Count | None = None
    scaler: dict[str, Any] | None = None


def read_run_state(path: Path) -> dict[str, Any]:
    """state.json, checked; TrainError saying what is missing or wrong."""
    try:
        if path.stat().st_size > MAX_STATE_JSON:
            raise TrainError(f"{path} is too large to be a run's state; it cannot be resumed from")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise TrainError(f"{path} is missing; the run cannot be resumed") from None
    except (OSError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise TrainError(f"{path} is damaged and cannot be resumed from ({reason})") from None
    checked(RunState, data, path)
    assert isinstance(data, dict)
    return data


def check_trainer_state(state: object, path: Path) -> dict[str, Any]:
    """state.pt as `torch.load` gave it, checked; TrainError saying what is wrong."""
    checked(TrainerState, state, path)
    assert isinstance(state, dict)
    return state


def check_resumable(info: dict[str, Any], state: dict[str, Any], steps: int, out: Path) -> None:
    """What only the run can tell: the step agrees with the epochs of `steps` steps each."""
    epoch, epoch_step, step = info["epoch"], info["epoch_step"], info["step"]
    json_file, pt_file = out / "state.json", out / "state.pt"
    if epoch_step >= steps or step != epoch * steps + epoch_step:
        raise TrainError(
            f"{json_file} is damaged and cannot be resumed from: step {step} is not "
            f"{epoch} epochs of {steps} steps and {epoch_step} more"
        )
    rngs = state["rng"]
    if epoch_step and (state["partial"] is None or state["generator"] is None or not rngs):
        raise TrainError(
            f"{pt_file} is damaged and cannot be resumed from: "
            "it lacks the progress inside the interrupted epoch"
        )
    generators = [state["generator"], *(r["cpu"] for r in rngs if r is not None)]
    reference = torch.get_rng_state()
    for g in generators:
        if g is not None and (g.dtype != reference.dtype or g.shape != reference.shape):
            raise TrainError(
                f"{pt_file} is damaged and cannot be resumed from: "
                "a random generator's state is not one torch can restore"
            )


def checked(schema: type[_Strict], data: object, path: Path) -> None:
    if not isinstance(data, dict):
        raise TrainError(
            f"{path} does not hold a run's state (it holds a {type(data).__name__}); "
            "it cannot be resumed from"
        )
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(dict(err)) for err in exc.errors()[:3]]
        more = len(exc.errors()) - len(problems)
        raise TrainError(
            f"{path} is damaged and cannot be resumed from: "
            + "; ".join(problems)
            + (f" and {more} more" if more > 0 else "")
        ) from None


def _problem(err: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
