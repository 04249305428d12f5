"""Which parameters weight decay pulls towards zero.

Decay regularises the weights that multiply inputs. A norm layer's scale and
shift, a bias, or a learned `param` tensor (a class token, a position
embedding) only set a level or a gain; pulling them to zero hurts instead
(timm leaves them out by default, and so does `no_decay true`).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from archdsl.backend.value_modules import Param

# Layers whose parameters are a per-feature gain and shift.
NORMS = nn.modules.batchnorm._NormBase | nn.LayerNorm | nn.GroupNorm | nn.RMSNorm


def undecayed(module: nn.Module) -> set[str]:
    """The names of the parameters that take no weight decay."""
    names = set()
    for path, owner in module.named_modules():
        for leaf, _ in owner.named_parameters(recurse=False):
            # `bias`, `in_proj_bias`, a GRU's `bias_ih_l0`, Swin's relative position bias table
            if isinstance(owner, NORMS | Param) or "bias" in leaf:
                names.add(f"{path}.{leaf}" if path else leaf)
    return names


def decay_groups(module: nn.Module, weight_decay: float, no_decay: bool) -> list[dict[str, Any]]:
    """The learned parameters in optimiser groups: one, or those decayed and those not."""
    learned = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    if not (no_decay and weight_decay):
        return [{"params": [p for _, p in learned]}]
    skip = undecayed(module)
    decayed = [p for name, p in learned if name not in skip]
    kept = [p for name, p in learned if name in skip]
    groups: list[dict[str, Any]] = [{"params": decayed}, {"params": kept, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]
