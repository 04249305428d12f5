"""`archdsl weights import`: a source state_dict as the spec's weights, with metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from archdsl.backend import build
from archdsl.ir import Model
from archdsl.train.fingerprint import digest, model_layers
from archdsl.train.shipping import FORMAT
from archdsl.weights.align import Alignment
from archdsl.weights.place import fit, place
from archdsl.weights.source import read_source


@dataclass
class Imported:
    tensors: dict[str, torch.Tensor]  # the model's whole state_dict
    metadata: dict[str, str]
    alignment: Alignment


def import_weights(model: Model, source_name: str, seed: int = 0) -> Imported:
    """Every tensor of `model` that the source gives; the rest as the model initialises
    them from `seed` (kept only with `--partial`)."""
    source = read_source(source_name)
    torch.manual_seed(seed)
    own = build(model).state_dict()
    alignment = fit(own, source)
    tensors = place(own, source, alignment)
    kept = [key for key, *_ in alignment.differ] + [key for key, _ in alignment.missing]
    metadata = {
        "format": FORMAT,
        "model": model.name,
        "model_hash": digest(model_layers(model)),
        "source": source.label,
        "matched_by": alignment.how,
        "imported": str(len(alignment.pairs)),
        "not_imported": json.dumps(kept),
    }
    return Imported(tensors, metadata, alignment)
