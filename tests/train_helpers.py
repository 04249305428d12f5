"""Helpers the training tests share: a run in this process, and reading a run folder."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

import archdsl
from archdsl.cli.run_config import parse_value
from archdsl.train.resolve import Override, train_config
from archdsl.train.run import train
from archdsl.train.run_folder import RunOptions

# Flags that are not keys of the train section.
_FLAG_KEYS = {"lr": "optimizer.lr"}


def train_here(
    spec: Path | str, out: Path, resume: bool = False, **settings: Any
) -> tuple[int, str]:
    """Train as `archdsl train SPEC --out OUT --set key=value ...` would, in this process.

    Returns the exit code and what the run printed.
    """
    model = archdsl.load(spec).model()
    overrides = [
        Override(_FLAG_KEYS.get(k, k), _value(k, v), f"--set {k}={v}") for k, v in settings.items()
    ]
    config = train_config(model, overrides)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = train(model, config, RunOptions(out, resume=resume))
    return code, printed.getvalue()


def _value(key: str, value: Any) -> Any:
    """Text is read as `--set` reads it: `cpu`, `cosine(warmup=0.1)`, `[flip]`."""
    return parse_value(value, f"{key}={value}") if isinstance(value, str) else value


def history(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def state(out: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((out / "state.json").read_text())
    return info


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(path)


def identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
