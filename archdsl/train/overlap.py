"""Refuse to score weights on samples they were trained on.

`archdsl eval --set data=digits(val=0.5)` on weights trained with `val=0.2`
would score many of the training samples and overstate the model. The run
that wrote the weights left its configuration beside them (`config.json`);
its training split is loaded again and compared, sample by sample, with the
split about to be scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from archdsl.ir import Model
from archdsl.train.config import ImageFolder, TrainConfig
from archdsl.train.data import load_data
from archdsl.train.data.base import LoadedData
from archdsl.train.errors import TrainError
from archdsl.train.task_checks import task_of

CONFIG_JSON = "config.json"  # what run_folder writes into every run folder


def trained_with(weights: Path) -> TrainConfig | None:
    """The configuration of the run that wrote `weights`, when they lie in its folder."""
    path = weights.parent / CONFIG_JSON
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return TrainConfig.model_validate_json(json.dumps(saved["config"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a run folder, or one this version cannot read: nothing to compare


def refuse_overlap(scored: LoadedData, trained: TrainConfig, model: Model) -> None:
    """TrainError when the held-out split of `scored` holds samples `trained` trained on."""
    if scored.ids is None or trained.data.kind == "python":
        return
    data = trained.data
    if isinstance(data, ImageFolder):
        data = data.model_copy(update={"stream": True})  # file names suffice: decode nothing
    try:
        seen = load_data(data, model.input, model.output, task_of(trained)).ids
    except TrainError:
        return  # the training data is gone: nothing to compare with
    if seen is None or seen.source != scored.ids.source:
        return
    common = np.intersect1d(seen.train, scored.ids.val).size
    if common:
        raise TrainError(
            f"{common:,} of the {len(scored.ids.val):,} samples to be scored were used to "
            f"train these weights (the run trained on {written(trained.data.model_dump())} "
            f"and held out the rest); scoring them would overstate the model\n"
            f"  = help: score on the run's own held-out split: give `data` as the run had it"
        )


# The arguments of a dataset that choose its samples (not how they are transformed).
CHOOSING = ("path", "target", "val", "samples", "val_samples", "size")


def written(value: dict[str, Any]) -> str:
    """A data config's choice of samples as a train section writes it: `digits(val=0.2)`."""
    args = ", ".join(f"{k}={_value(value[k])}" for k in CHOOSING if value.get(k) is not None)
    return f"{value['kind']}({args})"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)
