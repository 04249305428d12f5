"""The model's state_dict made from a source's tensors, as an alignment pairs them."""

from __future__ import annotations

import torch

from archdsl.weights.align import COUNTER, Alignment, Layout, align
from archdsl.weights.source import Source


def layout(tensors: dict[str, torch.Tensor]) -> Layout:
    return [(k, tuple(v.shape)) for k, v in tensors.items()]


def fit(own: dict[str, torch.Tensor], source: Source) -> Alignment:
    return align(layout(own), layout(source.tensors), source.ordered)


def place(
    own: dict[str, torch.Tensor], source: Source, alignment: Alignment
) -> dict[str, torch.Tensor]:
    """`own` (the model's state_dict) with every paired tensor taken from the source, in
    the model's dtype; what is not paired keeps the model's value."""
    out = {k: v.detach().clone() for k, v in own.items()}
    modules: dict[str, str] = {}  # model module -> source module, for the counters
    for key, src in alignment.pairs:
        out[key] = source.tensors[src].detach().to(own[key].dtype).clone()
        modules[key.rpartition(".")[0]] = src.rpartition(".")[0]
    for key in own:
        module, _, leaf = key.rpartition(".")
        counter = f"{modules.get(module)}.{COUNTER}"
        if leaf == COUNTER and counter in source.tensors:
            out[key] = source.tensors[counter].detach().to(own[key].dtype).clone()
    return out
