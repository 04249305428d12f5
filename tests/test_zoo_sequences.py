"""The zoo's sequence models, counted independently of the compiler.

text_transformer's counts are torch's own modules' (an encoder layer is
nn.TransformerEncoderLayer with norm_first) and the MACs formula of
docs/language.md written out by hand; digits_gru's are nn.GRU's.
"""

from __future__ import annotations

import torch
from torch import nn

import archdsl
from tests.helpers import SPECS

T, D, HEADS, MLP, LAYERS, VOCAB, CLASSES = 64, 128, 4, 512, 2, 1000, 4


def _reference_text_transformer() -> list[nn.Module]:
    layers = [nn.TransformerEncoderLayer(D, HEADS, MLP, norm_first=True) for _ in range(LAYERS)]
    return [nn.Embedding(VOCAB, D), *layers, nn.LayerNorm(D), nn.Linear(D, CLASSES)]


def test_text_transformer_counts_equal_torchs_modules() -> None:
    model = archdsl.load(SPECS / "text_transformer.arch").model()
    modules = _reference_text_transformer()
    positions = T * D  # the learned position embedding, a bare parameter
    assert model.params == sum(p.numel() for m in modules for p in m.parameters()) + positions
    # Per layer: q, k, v and output projections, the MLP's two linears, and
    # attention's q·kᵀ and attn·v (T·T·D each); then the head.
    per_layer = T * (3 * D * D + D * D + 2 * D * MLP) + 2 * T * T * D
    assert model.macs == LAYERS * per_layer + D * CLASSES
    assert model.attention_macs == LAYERS * 2 * T * T * D
    assert (list(model.input), list(model.output)) == ([T], [CLASSES])


def test_text_transformer_holds_the_tensors_of_torchs_layers() -> None:
    # The same tensors as torch's modules, the order aside: torch registers an
    # encoder layer's attention before its norms, the spec runs the norm first.
    with torch.device("meta"):
        module = archdsl.build(SPECS / "text_transformer.arch")
    got = sorted(tuple(t.shape) for t in module.state_dict().values())
    want = [tuple(p.shape) for m in _reference_text_transformer() for p in m.state_dict().values()]
    assert got == sorted([*want, (1, T, D)])


def test_text_transformer_classifies_a_batch_of_token_ids() -> None:
    module = archdsl.build(SPECS / "text_transformer.arch").eval()
    ids = torch.randint(0, VOCAB, (3, T))
    assert module(ids).shape == (3, CLASSES)


def test_digits_gru_counts_equal_torchs_gru() -> None:
    model = archdsl.load(SPECS / "digits_gru.arch").model()
    reference = [nn.GRU(8, 64, batch_first=True), nn.Linear(64, 10)]
    assert model.params == sum(p.numel() for m in reference for p in m.parameters())
    # Every one of the 8 steps: the input and hidden products of 3 gates; then the head.
    assert model.macs == 8 * 3 * (8 * 64 + 64 * 64) + 64 * 10
