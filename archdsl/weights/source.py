"""Read a state_dict to import: a `.pth`/`.pt` file, a `.safetensors` file, or a model
name that torchvision or timm (when installed) builds with its pretrained weights.

A `.pth` file is read with `torch.load(weights_only=True)`, which unpickles
tensors and plain containers and nothing that could run code. A `.safetensors`
file keeps no order (its keys are stored sorted): its own names pair it, or else
kind and shape (see `unordered`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from archdsl.backend.allocation import TooLarge, check_file_fits
from archdsl.train.checkpoint import read_weights
from archdsl.train.errors import TrainError

# Where training checkpoints of other libraries keep the state_dict itself.
WRAPPERS = ("state_dict", "model", "model_state_dict")


@dataclass
class Source:
    tensors: dict[str, torch.Tensor]
    ordered: bool  # whether the keys come in the module's order
    label: str  # for messages and the imported file's metadata


def read_source(source: str) -> Source:
    """The state_dict named by `source`; TrainError saying why it cannot be read."""
    path = Path(source)
    if path.suffix == ".safetensors":
        tensors, _ = read_weights(path)
        return Source(tensors, ordered=False, label=path.name)
    if path.exists() or path.suffix in (".pth", ".pt", ".bin", ".ckpt"):
        return Source(_read_pickle(path), ordered=True, label=path.name)
    return Source(_pretrained(source), ordered=True, label=source)


def _read_pickle(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise TrainError(
            f"weights file not found: {path}" if not path.exists() else f"{path} is not a file"
        )
    try:
        check_file_fits(path, path.stat().st_size)
    except TooLarge as exc:
        raise TrainError(str(exc)) from None
    try:
        loaded: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # an unpickling error of any kind: the file is not a state_dict
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrainError(f"{path} is not a readable torch state_dict ({first})") from None
    for key in WRAPPERS:
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
            break
    if not isinstance(loaded, dict) or not loaded:
        raise TrainError(f"{path} holds no state_dict (a dict of names to tensors)")
    wrong = [k for k, v in loaded.items() if not isinstance(v, torch.Tensor)]
    if wrong:
        raise TrainError(f"{path} is not a state_dict: `{wrong[0]}` is not a tensor")
    return {str(k): v for k, v in loaded.items()}


def _pretrained(name: str) -> dict[str, torch.Tensor]:
    """A torchvision or timm model's pretrained state_dict (downloaded by that library)."""
    if importlib.util.find_spec("torchvision") is not None:
        from torchvision import models  # type: ignore[import-not-found, unused-ignore]

        if name in models.list_models():
            return _downloaded(
                "torchvision", name, lambda: models.get_model(name, weights="DEFAULT")
            )
    if importlib.util.find_spec("timm") is not None:
        import timm  # type: ignore[import-not-found, unused-ignore]

        if timm.is_model(name):
            return _downloaded("timm", name, lambda: timm.create_model(name, pretrained=True))
    installed = [n for n in ("torchvision", "timm") if importlib.util.find_spec(n) is not None]
    where = (
        f"nor a model {' or '.join(installed)} knows"
        if installed
        else "and a model name needs torchvision or timm installed"
    )
    raise TrainError(f"`{name}` is not a weights file (.pth, .pt or .safetensors) {where}")


def _downloaded(
    library: str, name: str, make: Callable[[], torch.nn.Module]
) -> dict[str, torch.Tensor]:
    try:
        module = make()
    except Exception as exc:  # no network, no weights for this name, a broken cache
        raise TrainError(f"{library} could not give the pretrained `{name}`: {exc}") from None
    return dict(module.state_dict())
