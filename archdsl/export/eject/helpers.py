"""The small modules torch lacks, written into an ejected file only where it uses them.

Each computes exactly what its counterpart in archdsl.backend.modules computes.
"""

from __future__ import annotations

import importlib
import inspect

HELPERS: dict[str, str] = {
    "divisible": '''
def divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """Round to a multiple of `divisor`, never more than 10% down (MobileNet's rule)."""
    low = divisor if min_value is None else min_value
    rounded = max(low, int(value + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * value else rounded)
''',
    "Residual": '''
class Residual(nn.Module):
    """`body(x) + shortcut`: the shortcut is `project(x)` if given, else `x` itself."""

    def __init__(self, body: nn.Module, project: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.project = project

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.project is None else self.project(x)
        return self.body(x) + shortcut
''',
    "Concat": '''
class Concat(nn.ModuleList):
    """Branches fed the same input, their outputs joined along the channels."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self], dim=1)
''',
    "Add": '''
class Add(nn.ModuleList):
    """Branches fed the same input, their outputs summed."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [branch(x) for branch in self]
        total = outputs[0]
        for out in outputs[1:]:
            total = total + out
        return total
''',
    "Mul": '''
class Mul(nn.ModuleList):
    """Branches fed the same input, their outputs multiplied with broadcasting.

    Shapes align from the right per sample: an output of lower rank gains
    axes of size 1 after the batch axis.
    """

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [branch(x) for branch in self]
        rank = max(out.dim() for out in outputs)
        lifted = [out[(slice(None),) + (None,) * (rank - out.dim())] for out in outputs]
        total = lifted[0]
        for out in lifted[1:]:
            total = total * out
        return total
''',
    "Scale": '''
class Scale(nn.Module):
    """Multiply by a constant."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor
''',
    "PadChannels": '''
class PadChannels(nn.Module):
    """Subsample by `stride`, then zero-pad the channels: a shortcut with no weights."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int | tuple[int, int] = 1
    ) -> None:
        super().__init__()
        extra = out_channels - in_channels
        self.pad = (0, 0, 0, 0, extra // 2, extra - extra // 2)
        self.stride = (stride, stride) if isinstance(stride, int) else stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sh, sw = self.stride
        return F.pad(x[:, :, ::sh, ::sw], self.pad)
''',
    "StochasticDepth": '''
class StochasticDepth(nn.Module):
    """While training, zero each sample ("row") or the whole batch ("batch") with
    probability `p` and scale the rest by 1 / (1 - p); the identity in eval mode."""

    def __init__(self, p: float, mode: str = "row") -> None:
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
''',
}

# archdsl's own modules an ejected file copies as they are, by where they live.
_BACKEND = {
    "archdsl.backend.layout_modules": (
        "Tokens",
        "Permute",
        "Reshape",
        "Select",
        "Mean",
        "Crop",
        "ChannelShuffle",
    ),
    "archdsl.backend.attention_modules": (
        "SelfAttention",
        "WindowAttention",
        "PatchMerging",
        "TokenEmbedding",
        "SequenceGRU",
        "SequenceLSTM",
        "StateGRU",
        "StateLSTM",
    ),
    "archdsl.backend.value_modules": ("Merge", "Join", "Param", "Cut"),
    "archdsl.backend.modules": ("ChannelLayerNorm",),
}
BACKEND_HELPERS = {name: module for module, names in _BACKEND.items() for name in names}


def backend_source(name: str) -> str:
    """The source of archdsl's module `name`: the ejected file computes what build does."""
    module = importlib.import_module(BACKEND_HELPERS[name])
    return inspect.getsource(getattr(module, name))


# What each helper's source needs imported besides torch.nn.
NEEDS: dict[str, set[str]] = {
    "divisible": set(),
    "Residual": {"torch"},
    "Concat": {"torch"},
    "Add": {"torch"},
    "Mul": {"torch"},
    "Scale": {"torch"},
    "PadChannels": {"torch", "F"},
    "StochasticDepth": {"torch"},
}
NEEDS.update({name: {"torch"} for name in BACKEND_HELPERS})
NEEDS["WindowAttention"] = NEEDS["PatchMerging"] = {"torch", "F"}
