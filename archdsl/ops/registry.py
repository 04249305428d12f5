"""Every op the language knows, by the names a spec may call it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from archdsl.ops.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    LeakyReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from archdsl.ops.base import Op
from archdsl.ops.conv import Conv
from archdsl.ops.dropout import Dropout, Dropout2d
from archdsl.ops.linear import Linear
from archdsl.ops.merge import Add, Concat, Mul
from archdsl.ops.norm import BatchNorm, GroupNorm, LayerNorm, LocalResponseNorm
from archdsl.ops.param import Param
from archdsl.ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool
from archdsl.ops.split import Chunk, Split
from archdsl.ops.stochastic_depth import StochasticDepth
from archdsl.ops.structural import Flatten, Identity, PadChannels, Scale

OP_CLASSES: tuple[type[Op], ...] = (
    Conv,
    Linear,
    MaxPool,
    AvgPool,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    BatchNorm,
    LayerNorm,
    GroupNorm,
    LocalResponseNorm,
    Dropout,
    Dropout2d,
    StochasticDepth,
    ReLU,
    ReLU6,
    LeakyReLU,
    ELU,
    GELU,
    SiLU,
    Hardswish,
    Hardsigmoid,
    Sigmoid,
    Tanh,
    Softmax,
    Flatten,
    Identity,
    Scale,
    PadChannels,
    Add,
    Mul,
    Concat,
    Param,
    Chunk,
    Split,
)

OPS: dict[str, type[Op]] = {}
for _cls in OP_CLASSES:
    for _name in (_cls.name, *_cls.aliases):
        OPS[_name] = _cls

if TYPE_CHECKING:
    AnyOp = Op
else:
    # Any op, told apart in JSON by its `op` tag.
    AnyOp = Annotated[Union[OP_CLASSES], Field(discriminator="op")]  # noqa: UP007
