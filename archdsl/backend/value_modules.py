"""Modules of the graph IR: merges of named values, learned tensors, cuts, and `Graph`,
the container that runs its children in a fixed plan.

Their forward passes are plain tensor code with no data-dependent Python, so
`torch.compile(fullgraph=True)` traces them without graph breaks.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

# One step of a plan: the child's name, the slots it reads, the slots it fills.
Step = tuple[str, tuple[int, ...], tuple[int, ...]]


class Graph(nn.Module):
    """A container whose children do not form one chain: it keeps a slot per value
    and runs its children in order, each reading and filling fixed slots.

    `forward` takes the container's inputs in order (slots 0, 1, ...) and returns
    its one output, or a tuple of several.
    """

    def __init__(
        self,
        children: dict[str, nn.Module],
        plan: list[Step],
        inputs: int,
        outputs: tuple[int, ...],
        slots: int,
        block: str | None = None,
    ) -> None:
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)
        self.plan = plan
        self.inputs = inputs
        self.outputs = outputs
        self.slots = slots
        self.block = block

    def forward(self, *inputs: torch.Tensor) -> Any:
        values: list[Any] = [*inputs, *([None] * (self.slots - self.inputs))]
        for name, reads, fills in self.plan:
            result = self._modules[name](*[values[i] for i in reads])  # type: ignore[misc]
            if len(fills) == 1:
                values[fills[0]] = result
            else:
                for slot, part in zip(fills, result, strict=True):
                    values[slot] = part
        if len(self.outputs) == 1:
            return values[self.outputs[0]]
        return tuple(values[i] for i in self.outputs)

    def __getitem__(self, key: int | str) -> nn.Module:
        """The child named `key`, as indexing an nn.Sequential gives it."""
        child = self._modules[str(key)]
        assert child is not None
        return child

    def _get_name(self) -> str:
        if self.block is None:
            return "Graph"
        return "".join(part.title() for part in self.block.split("_")) or "Block"


class Merge(nn.Module):
    """`add(a, b, ...)` or `mul(a, b, ...)`: elementwise, broadcasting as torch does."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        total = inputs[0]
        for value in inputs[1:]:
            total = total * value if self.kind == "mul" else total + value
        return total

    def extra_repr(self) -> str:
        return self.kind


class Join(nn.Module):
    """`concat(a, b, ..., dim=)`: values joined along an axis; a shared value (its
    per-sample shape given in `shared`) is repeated for every sample first."""

    def __init__(self, dim: int, shared: list[tuple[int, ...] | None]) -> None:
        super().__init__()
        self.dim = dim
        self.shared = shared
        self.batched = next(i for i, s in enumerate(shared) if s is None)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        batch = inputs[self.batched].shape[0]
        parts = [
            value if shape is None else value.reshape(1, *shape).expand(batch, *shape)
            for value, shape in zip(inputs, self.shared, strict=True)
        ]
        return torch.cat(parts, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Param(nn.Module):
    """A learned tensor of exactly the stored shape; it takes no input."""

    def __init__(
        self,
        shape: tuple[int, ...],
        init: str,
        std: float,
        value: float,
    ) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.empty(shape))
        self.init, self.std, self.fill = init, std, value
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            if self.init == "zeros":
                nn.init.zeros_(self.value)
            elif self.init == "ones":
                nn.init.ones_(self.value)
            elif self.init == "normal":
                nn.init.normal_(self.value, std=self.std)
            elif self.init == "trunc_normal":
                nn.init.trunc_normal_(
                    self.value,
                    std=self.std,
                    a=-2 * self.std,
                    b=2 * self.std,
                )
            else:
                nn.init.constant_(self.value, self.fill)

    def forward(self) -> torch.Tensor:
        return self.value

    def extra_repr(self) -> str:
        return f"shape={tuple(self.value.shape)}, init={self.init}"


class Cut(nn.Module):
    """`chunk` or `split`: one value cut into parts of the given sizes along an axis."""

    def __init__(self, sizes: list[int], dim: int) -> None:
        super().__init__()
        self.sizes = sizes
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(torch.split(x, self.sizes, dim=self.dim))

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, dim={self.dim}"
