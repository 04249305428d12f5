"""What a model needs to be used outside archdsl, written into its weights and ONNX file.

A trained network expects its inputs normalised as its training split was;
the weights file (safetensors metadata) and an exported ONNX file (metadata
properties) say how, beside the class names (or a regression's target names),
the input shape, the task and the model's hash (of its layers, as `--resume`
compares them):

    x = (raw / raw_scale - mean) / std     per channel (images) or feature (tables)

Every value is a string (both formats take only strings); lists are JSON.
"""

from __future__ import annotations

import json

import torch

from archdsl.ir import Model
from archdsl.train.data.base import LoadedData
from archdsl.train.fingerprint import digest, model_layers

FORMAT = "archdsl/1"
KEYS = ("format", "model", "model_hash", "task", "input_shape", "raw_scale", "mean", "std")


def shipping_metadata(
    model: Model, data: LoadedData, scale: torch.Tensor, shift: torch.Tensor, task: str
) -> dict[str, str]:
    """The metadata of weights trained on `data`, normalised by `x * scale + shift`."""
    # scale = 1 / (raw_scale * std), shift = -mean / std (see loader.normaliser)
    std = 1.0 / (data.scale * scale.flatten().double().cpu())
    mean = -shift.flatten().double().cpu() * std
    meta = {
        "format": FORMAT,
        "model": model.name,
        "model_hash": digest(model_layers(model)),
        "task": task,
        "input_shape": json.dumps(list(model.input)),
        "raw_scale": repr(float(data.scale)),
        "mean": json.dumps([round(float(v), 8) for v in mean]),
        "std": json.dumps([round(float(v), 8) for v in std]),
    }
    if data.class_names is not None:
        meta["class_names"] = json.dumps(data.class_names)
    if data.target_names is not None:
        meta["target_names"] = json.dumps(data.target_names)
    return meta
