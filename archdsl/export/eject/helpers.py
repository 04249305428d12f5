"""The small modules torch lacks, written into an ejected file only where it uses them.

Each computes exactly what its counterpart in archdsl.backend.modules computes.
"""

from __future__ import annotations

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
    "Merge": '''
class Merge(nn.Module):
    """`add(a, b, ...)` or `mul(a, b, ...)`: elementwise, broadcasting as torch does."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, *values: torch.Tensor) -> torch.Tensor:
        total = values[0]
        for value in values[1:]:
            total = total * value if self.kind == "mul" else total + value
        return total
''',
    "Join": '''
class Join(nn.Module):
    """`concat(a, b, ...)` along `axis`; a learned tensor shared by every sample (one
    axis fewer, or a first axis of 1) is repeated for each sample first."""

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, *values: torch.Tensor) -> torch.Tensor:
        rank = max(v.dim() for v in values)
        batch = max(v.shape[0] for v in values if v.dim() == rank)
        parts = [v if v.dim() == rank else v.unsqueeze(0) for v in values]
        return torch.cat([p.expand(batch, *p.shape[1:]) for p in parts], dim=self.axis)
''',
    "Param": '''
class Param(nn.Module):
    """A learned tensor of exactly `shape`, shared by every sample; it takes no input."""

    def __init__(
        self, shape: tuple[int, ...], init: str = "zeros", std: float = 0.02, value: float = 0.0
    ) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.zeros(shape))
        with torch.no_grad():
            if init == "ones":
                nn.init.ones_(self.value)
            elif init == "normal":
                nn.init.normal_(self.value, std=std)
            elif init == "trunc_normal":
                nn.init.trunc_normal_(self.value, std=std, a=-2 * std, b=2 * std)
            elif init == "constant":
                nn.init.constant_(self.value, value)

    def forward(self) -> torch.Tensor:
        return self.value
''',
    "Chunk": '''
class Chunk(nn.Module):
    """Cut into `chunks` equal parts along `axis`."""

    def __init__(self, chunks: int, axis: int = 1) -> None:
        super().__init__()
        self.chunks = chunks
        self.axis = axis

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.chunk(x, self.chunks, dim=self.axis)
''',
    "Split": '''
class Split(nn.Module):
    """Cut into parts of the given sizes along `axis`."""

    def __init__(self, sizes: int | tuple[int, ...], axis: int = 1) -> None:
        super().__init__()
        self.sizes = sizes
        self.axis = axis

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.split(x, self.sizes, dim=self.axis)
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

# What each helper's source needs imported besides torch.nn.
NEEDS: dict[str, set[str]] = {
    "Residual": {"torch"},
    "Concat": {"torch"},
    "Add": {"torch"},
    "Mul": {"torch"},
    "Scale": {"torch"},
    "PadChannels": {"torch", "F"},
    **{key: {"torch"} for key in ("Merge", "Join", "Param", "Chunk", "Split")},
    "StochasticDepth": {"torch"},
}
