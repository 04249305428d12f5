"""Every op the language knows, by the names a spec may call it."""

from __future__ import annotations

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
from archdsl.ops.attention import MultiheadAttention
from archdsl.ops.base import Op
from archdsl.ops.conv import Conv, ConvTranspose
from archdsl.ops.dropout import Dropout, Dropout2d
from archdsl.ops.embedding import Embedding
from archdsl.ops.layout import ChannelShuffle, Permute, Reshape, Tokens
from archdsl.ops.linear import Linear
from archdsl.ops.merge import Add, Concat, Mul
from archdsl.ops.norm import BatchNorm, GroupNorm, LayerNorm, LocalResponseNorm
from archdsl.ops.param import Param
from archdsl.ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool
from archdsl.ops.recurrent import GRU, LSTM
from archdsl.ops.resize import Crop, Upsample
from archdsl.ops.select import Mean, Select
from archdsl.ops.split import Chunk, Split
from archdsl.ops.stochastic_depth import StochasticDepth
from archdsl.ops.structural import Flatten, Identity, PadChannels, Scale
from archdsl.ops.window_attention import PatchMerging, WindowAttention

OP_CLASSES: tuple[type[Op], ...] = (
    Conv,
    ConvTranspose,
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
    Tokens,
    Permute,
    Reshape,
    Select,
    Mean,
    Upsample,
    Crop,
    ChannelShuffle,
    MultiheadAttention,
    WindowAttention,
    PatchMerging,
    Embedding,
    GRU,
    LSTM,
)

OPS: dict[str, type[Op]] = {}
for _cls in OP_CLASSES:
    for _name in (_cls.name, *_cls.aliases):
        OPS[_name] = _cls

# Any op, told apart in JSON by its `op` tag: as a pydantic field's type, `Op`
# stands for the union of every op's model (Op.__get_pydantic_core_schema__).
AnyOp = Op
