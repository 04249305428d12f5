"""`freeze [stem, layer1]`: parts of the module that do not learn.

Their parameters stop taking gradients, and their batch norms stay in eval mode
(the loop puts them back after each `train()`): training on other data would
otherwise move the running statistics that the frozen weights were fitted to.
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def freeze(module: nn.Module, paths: list[str]) -> list[nn.Module]:
    """Freeze the submodules at `paths` (checked against the IR before); their batch norms."""
    norms: list[nn.Module] = []
    for path in paths:
        part = module.get_submodule(path)
        for parameter in part.parameters():
            parameter.requires_grad_(False)
        norms += [m for m in part.modules() if isinstance(m, _BatchNorm) and m not in norms]
    return norms


def hold_eval(norms: list[nn.Module]) -> None:
    """Frozen batch norms back in eval mode, after the network was put in train mode."""
    for norm in norms:
        norm.eval()
