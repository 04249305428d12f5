"""A run folder's checkpoint: weights, optimiser state, and what the run was.

- `last.safetensors`, `best.safetensors`: the model's weights and buffers.
- `state.pt`: optimiser and scheduler state, random number generator states,
  and the progress inside an interrupted epoch; loaded with
  `torch.load(weights_only=True)`, which unpickles tensors and plain
  containers and nothing that could run code.
- `state.json`: epoch, step, status, best accuracy, history, and the hashes
  and summaries of the model and configuration that `--resume` compares.

Every file is written atomically, weights first and `state.json` last; all
three carry the step, so a set torn by a crash between renames is noticed.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from archdsl.train.atomic import write_atomic
from archdsl.train.errors import TrainError

LAST = "last.safetensors"
BEST = "best.safetensors"
STATE_PT = "state.pt"
STATE_JSON = "state.json"


@dataclass
class Checkpoint:
    info: dict[str, Any]  # state.json
    state: dict[str, Any]  # state.pt
    weights: dict[str, torch.Tensor]


def weights_bytes(module: nn.Module, step: int, metadata: dict[str, str] | None = None) -> bytes:
    """The weights as safetensors; `metadata` says how to use them (see `shipping`)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    return save_safetensors(tensors, metadata={**(metadata or {}), "step": str(step)})


def save(
    out: Path,
    module: nn.Module,
    state: dict[str, Any],
    info: dict[str, Any],
    best: bool,
    metadata: dict[str, str] | None = None,
) -> None:
    weights = weights_bytes(module, info["step"], metadata)
    write_atomic(out / LAST, weights)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(out / STATE_PT, buffer.getvalue())
    write_atomic(out / STATE_JSON, json.dumps(info, indent=1).encode())
    if best:
        write_atomic(out / BEST, weights)


def read_info(out: Path) -> dict[str, Any]:
    path = out / STATE_JSON
    if not path.is_file():
        raise TrainError(f"there is no run to resume in {out}: {STATE_JSON} is missing")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrainError(f"{path} is damaged and cannot be resumed from ({exc})") from None
    if not isinstance(info, dict) or "step" not in info:
        raise TrainError(f"{path} is not an archdsl run state")
    return info


def load(out: Path) -> Checkpoint:
    """The checkpoint in a run folder; TrainError naming any file missing, damaged or torn."""
    info = read_info(out)
    weights, meta = read_weights(out / LAST)
    try:
        state = torch.load(out / STATE_PT, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainError(f"{out / STATE_PT} is missing; the run cannot be resumed") from None
    except Exception as exc:  # damaged files fail in many ways; all mean the same
        raise TrainError(
            f"{out / STATE_PT} is damaged and cannot be resumed from ({exc})"
        ) from None
    steps = {STATE_JSON: info["step"], LAST: meta.get("step"), STATE_PT: state.get("step")}
    if len({str(s) for s in steps.values()}) != 1:
        shown = ", ".join(f"{name} at step {step}" for name, step in steps.items())
        raise TrainError(f"the checkpoint in {out} is torn ({shown}); it cannot be resumed")
    return Checkpoint(info, state, weights)


def read_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A safetensors file's tensors and metadata; TrainError when missing or damaged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TrainError(f"weights file not found: {path}") from None
    except OSError as exc:
        raise TrainError(f"cannot read {path}: {exc.strerror}") from None
    try:
        tensors = load_safetensors(data)
        meta = _metadata(data)
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise TrainError(f"{path} is not a readable safetensors file ({exc})") from None
    return tensors, meta


def _metadata(data: bytes) -> dict[str, str]:
    """The `__metadata__` of a safetensors header: 8 bytes of length, then JSON."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    meta = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()}


def load_into(module: nn.Module, weights: dict[str, torch.Tensor], source: Path | str) -> None:
    """Put `weights` into `module`; TrainError naming what does not fit."""
    own = module.state_dict()
    missing = [k for k in own if k not in weights]
    extra = [k for k in weights if k not in own]
    wrong = [
        f"{k} {list(weights[k].shape)} (the model has {list(v.shape)})"
        for k, v in own.items()
        if k in weights and weights[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
    if extra:
        problems.append(
            "not in the model " + ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
        )
    if wrong:
        problems.append("shaped differently " + ", ".join(wrong[:5]))
    if problems:
        raise TrainError(f"the weights in {source} do not fit this model: " + "; ".join(problems))
    module.load_state_dict(weights)
