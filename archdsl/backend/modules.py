"""The few modules torch lacks: containers for blocks and merges, residuals, scale, pad,
stochastic depth.

Their forward passes are plain tensor code with no data-dependent Python, so
`torch.compile(fullgraph=True)` traces them without graph breaks.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class Group(nn.Sequential):
    """An ordered, named sequence of steps: a model, a labelled chain, a branch."""


class Repeat(nn.Sequential):
    """The copies of a `repeat`, indexable from 0."""


class Block(nn.Sequential):
    """The expansion of one call of a user block; prints under the block's name."""

    def __init__(self, block: str, *args: nn.Module) -> None:
        super().__init__(*args)
        self.block = block

    def _get_name(self) -> str:
        return "".join(part.title() for part in self.block.split("_")) or "Block"


# Which of a composite's inputs each part reads: part i gets `inputs[j] for j in routes[i]`.
# Input 0 is the flowing value; further ones are named values read from outside.
Routes = list[tuple[int, ...]]


def _feed(part: nn.Module, inputs: tuple[torch.Tensor, ...], route: tuple[int, ...]) -> Any:
    return part(*[inputs[i] for i in route])


class Residual(nn.Module):
    """`body(x) + shortcut(x)`: the shortcut is the identity unless a projection is given."""

    def __init__(
        self, body: nn.Module, project: nn.Module | None, routes: Routes | None = None
    ) -> None:
        super().__init__()
        self.body = body
        self.project = project
        self.routes = routes or [(0,), (0,)]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        x = inputs[0]
        shortcut = x if self.project is None else _feed(self.project, inputs, self.routes[1])
        out: torch.Tensor = _feed(self.body, inputs, self.routes[0])
        return out + shortcut


class Branches(nn.Module):
    """Branches fed the same input (and any named values they read), then merged."""

    def __init__(self, *branches: nn.Module, routes: Routes | None = None) -> None:
        super().__init__()
        for i, branch in enumerate(branches):
            self.add_module(str(i), branch)
        self.routes = routes or [(0,)] * len(branches)

    def outputs(self, inputs: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
        return [
            _feed(branch, inputs, route)
            for branch, route in zip(self.children(), self.routes, strict=True)
        ]


class Concat(Branches):
    """Branches fed the same input, their outputs joined along channels."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.outputs(inputs), dim=1)


class Add(Branches):
    """Branches fed the same input, their outputs summed."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        outputs = self.outputs(inputs)
        total = outputs[0]
        for out in outputs[1:]:
            total = total + out
        return total


class Mul(Branches):
    """Branches fed the same input, their outputs multiplied with numpy's broadcasting.

    Shapes align from the right per sample, so an output of lower rank gains
    its missing axes after the batch axis, not before it.
    """

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        outputs = self.outputs(inputs)
        rank = max(out.dim() for out in outputs)
        total = _lift(outputs[0], rank)
        for out in outputs[1:]:
            total = total * _lift(out, rank)
        return total


def _lift(x: torch.Tensor, rank: int) -> torch.Tensor:
    """`x` with axes of size 1 inserted after the batch axis, up to `rank` axes."""
    missing = rank - x.dim()
    return x[(slice(None),) + (None,) * missing] if missing else x


class Scale(nn.Module):
    """Multiply by a constant, as Inception-ResNet scales its residual branches."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class PadChannels(nn.Module):
    """Subsample spatially, then zero-pad channels: ResNet's parameter-free "option A"."""

    def __init__(self, before: int, after: int, stride: tuple[int, int]) -> None:
        super().__init__()
        self.before = before
        self.after = after
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sh, sw = self.stride
        if sh != 1 or sw != 1:
            x = x[:, :, ::sh, ::sw]
        return F.pad(x, (0, 0, 0, 0, self.before, self.after))

    def extra_repr(self) -> str:
        return f"before={self.before}, after={self.after}, stride={self.stride}"


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: while training, zero each sample ("row") or the
    whole batch ("batch") with probability `p` and scale the rest by 1 / (1 - p)."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0] if self.mode == "row" else 1] + [1] * (x.dim() - 1)
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
