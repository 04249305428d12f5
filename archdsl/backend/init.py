"""Weight initialisation schemes a user can name.

- `torch`: PyTorch's own defaults, as each layer is constructed.
- `torchvision`: what torchvision's ResNets use: Kaiming normal (fan_out, relu)
  for convs, batchnorm and groupnorm weight 1 and bias 0; optionally the last
  batchnorm of every residual body zeroed, so each residual block starts as
  the identity (Goyal et al. 2017).
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from archdsl.backend.modules import Residual

InitScheme = Literal["torch", "torchvision"]
# The convs and batchnorms of 1-D signals, images and volumes alike.
_CONVS = nn.Conv1d | nn.Conv2d | nn.Conv3d
_BATCHNORMS = nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d
SCHEMES: tuple[str, ...] = ("torch", "torchvision")


def initialise(module: nn.Module, scheme: InitScheme, zero_init_residual: bool = False) -> None:
    if scheme == "torchvision":
        for m in module.modules():
            if isinstance(m, _CONVS):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, _BATCHNORMS | nn.GroupNorm) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in module.modules():
            if isinstance(m, Residual):
                last = _last_batchnorm(m.body)
                if last is not None:
                    nn.init.zeros_(last.weight)


def _last_batchnorm(body: nn.Module) -> nn.modules.batchnorm._BatchNorm | None:
    norms = [m for m in body.modules() if isinstance(m, _BATCHNORMS) and m.affine]
    return norms[-1] if norms else None
