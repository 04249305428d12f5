"""What a run was trained on, to refuse a resume against something else (no torch here).

The model is summed up layer by layer (each op with its arguments and output
shape, not its source location, so comments and formatting may change) and
the configuration key by key, without the keys that only say how a run
executes (device, compile, ...). Hashes make a quick check; the summaries say
what changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from archdsl.ir import Model, OpNode, describe
from archdsl.train.config import EXECUTION_KEYS, TrainConfig

SHOWN = 6  # changes listed before "and N more"

# Keys added to the configuration after runs were first saved, with what a run
# saved before them did: such a run resumes when these still hold. (Before
# `no_decay`, weight decay reached every parameter.)
ADDED_KEYS: dict[str, Any] = {
    "monitor": None,
    "monitor_mode": "auto",
    "keep_best": 1,
    "early_stop": None,
    "clip": None,
    "accumulate": 1,
    "ema": None,
    "no_decay": False,
}


def model_layers(model: Model) -> dict[str, str]:
    """Every op by its module path: `conv(64, 3x3, padding=1) [64, 32, 32]`."""
    layers = {"input": _shape(model.input)}
    for node in model.root.walk():
        if isinstance(node, OpNode):
            layers[node.path] = f"{describe(node)} {_shape(node.out_shape)}"
    return layers


def config_values(config: TrainConfig) -> dict[str, Any]:
    """The configuration as dotted keys, without those a resumed run may change."""
    flat: dict[str, Any] = {}
    _flatten(config.model_dump(mode="json"), "", flat)
    return {k: v for k, v in flat.items() if k not in EXECUTION_KEYS}


def as_saved_now(saved: dict[str, Any]) -> dict[str, Any]:
    """A saved run's configuration values with the keys added since it was saved."""
    return {**{k: v for k, v in ADDED_KEYS.items() if k not in saved}, **saved}


def digest(summary: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs, one line per key: `optimizer.lr: was 0.1, now 0.05`."""
    lines = []
    for key in [*before, *(k for k in now if k not in before)]:
        if key not in now:
            lines.append(f"{key}: {_show(before[key])} is gone")
        elif key not in before:
            lines.append(f"{key}: new, {_show(now[key])}")
        elif before[key] != now[key]:
            lines.append(f"{key}: was {_show(before[key])}, now {_show(now[key])}")
    if len(lines) > SHOWN:
        lines = [*lines[:SHOWN], f"and {len(lines) - SHOWN} more"]
    return lines


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    else:
        out[prefix] = value


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
