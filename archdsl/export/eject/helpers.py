"""The small modules torch lacks, written into an ejected file only where it uses them.

Each computes exactly what its counterpart in archdsl.backend.modules computes.
"""

from __future__ import annotations

import inspect

from archdsl.backend import attention_modules, layout_modules, modules

HELPERS: dict[str, str] = {
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
}

# What each helper's source needs imported besides torch.nn.
NEEDS: dict[str, set[str]] = {
    "Residual": {"torch"},
    "Concat": {"torch"},
    "Add": {"torch"},
    "Scale": {"torch"},
    "PadChannels": {"torch", "F"},
}

# The backend's self-contained modules, copied as they are: one source for both.
_COPIED = (
    modules.ChannelLayerNorm,
    layout_modules.Tokens,
    layout_modules.Permute,
    layout_modules.Reshape,
    layout_modules.Select,
    layout_modules.Mean,
    layout_modules.Crop,
    layout_modules.ChannelShuffle,
    attention_modules.SelfAttention,
    attention_modules.WindowAttention,
    attention_modules.PatchMerging,
    attention_modules.TokenEmbedding,
    attention_modules.SequenceGRU,
    attention_modules.SequenceLSTM,
)
for _cls in _COPIED:
    # Without the `# type: ignore` comments, which only archdsl's own mypy needs.
    _source = inspect.getsource(_cls).replace("  # type: ignore[override]", "")
    HELPERS[_cls.__name__] = "\n" + _source
    NEEDS[_cls.__name__] = {"torch"} | ({"F"} if "F." in _source else set())
