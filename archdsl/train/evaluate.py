"""Trained weights scored on the held-out split, as `archdsl eval` reports them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archdsl.ir import Model
from archdsl.train.checkpoint import load_into, read_weights
from archdsl.train.config import TrainConfig
from archdsl.train.confusion import Confusion, confusion
from archdsl.train.distributed import World
from archdsl.train.loop import evaluate
from archdsl.train.overlap import refuse_overlap, trained_with
from archdsl.train.session import open_session, pick_device, settled
from archdsl.train.task_checks import task_of


@dataclass(frozen=True)
class Score:
    dataset: str
    count: int
    loss: float
    metrics: dict[str, float]  # the task's: `acc` for classification
    confusion: Confusion | None = None  # a classifier's, over its classes
    class_names: list[str] | None = None


def evaluate_weights(model: Model, config: TrainConfig, weights: Path) -> Score:
    world = World()
    device = pick_device(config.device, world)
    tensors, _ = read_weights(weights)
    with settled(config, model, device, world):
        session = open_session(model, config, world, device, pretrained=False)
        trained = trained_with(weights)
        if trained is not None:
            refuse_overlap(session.data, trained, model)
        load_into(session.stepper.shipped, tensors, weights)  # what `evaluate` runs
        loss, metrics = evaluate(session)
        found = confusion(session) if task_of(config) == "classification" else None
    names = session.data.class_names
    return Score(session.data.name, len(session.data.val), loss, metrics, found, names)
