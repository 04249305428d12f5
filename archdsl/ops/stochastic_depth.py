"""Stochastic depth: drops a residual branch at random while training, nothing at inference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from archdsl.ops.base import Op
from archdsl.ops.fields import Field
from archdsl.ops.shape_math import Shape

if TYPE_CHECKING:
    from torch import nn


class StochasticDepth(Op):
    """stochastic_depth(p, mode=row): zero each sample (row) or the whole batch with probability p

    As torchvision.ops.StochasticDepth (Huang et al. 2016): survivors are
    scaled by 1 / (1 - p); in eval mode it is the identity.
    """

    name: ClassVar[str] = "stochastic_depth"
    view: ClassVar[bool] = True  # at inference it returns its input
    symbols: ClassVar[dict[str, tuple[str, ...]]] = {"mode": ("row", "batch")}
    op: Literal["stochastic_depth"] = "stochastic_depth"
    p: Annotated[float, Field(ge=0.0, le=1.0)]
    mode: Literal["row", "batch"] = "row"

    def to_torch(self, shape: Shape, out: Shape) -> nn.Module:
        from archdsl.backend.modules import StochasticDepth as StochasticDepthModule

        return StochasticDepthModule(self.p, self.mode)
