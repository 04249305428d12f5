"""The constructor calls of the ops over tokens, sequences and named values, as
`Op.to_torch` and `Op.torch_of` make them, argument by argument.

Their modules are archdsl's own (archdsl.backend), copied into the ejected file
(helpers.py); so a change to one of them, or to the arguments its op gives it,
carries over to eject. A size the call needs is read from `shape`, whose unknown
sizes raise `NeedDim` (see derive.py, which then finds it or refuses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from archdsl.export.eject.symbolic import combine, const
from archdsl.export.eject.template import Expr
from archdsl.export.eject.tree import Slot, Value, canonical
from archdsl.ops import (
    activation,
    attention,
    conv,
    embedding,
    layout,
    merge,
    norm,
    param,
    recurrent,
    resize,
    select,
    split,
    window_attention,
)
from archdsl.ops.base import Op

Made = tuple[str, list[Slot]]


class NeedDim(Exception):
    """A constructor argument needs the size of input axis `axis`, which is unknown."""

    def __init__(self, axis: int) -> None:
        super().__init__(axis)
        self.axis = axis


class Dims(tuple[Any, ...]):
    """An input's sizes (Exprs or ints), None where unknown: reading one raises NeedDim."""

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        value = super().__getitem__(index)
        if value is None:
            raise NeedDim(index % len(self))
        return value

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))


def pos(name: str, value: Value) -> Slot:
    return Slot(name, canonical(value), positional=True)


def kw(name: str, value: Value, default: Value) -> Slot:
    return Slot(name, canonical(value), default=canonical(default), has_default=True)


def exact(name: str, value: Value) -> Slot:
    """A positional tuple written as it is: (4, 4) stays a shape, not one side."""
    return Slot(name, value, positional=True)


def arith(template: str, *parts: Any) -> Any:
    """`template` over ints where all parts are known, else a folded expression."""
    if not any(isinstance(p, Expr) for p in parts):
        return eval(template.format(*parts), {"__builtins__": {}})  # our own templates
    return combine(template, *(p if isinstance(p, Expr) else const(p) for p in parts))


def sides(value: Any, n: int) -> tuple[Any, ...]:
    """A size argument on each of `n` axes."""
    return tuple(value) if isinstance(value, tuple) else (value,) * n


def _conv_transpose(op: conv.ConvTranspose, shape: Sequence[Any]) -> Made:
    return f"nn.{conv.CONV_TRANSPOSE_CLASSES[len(shape) - 1]}", [
        pos("in_channels", shape[0]),
        pos("out_channels", op.out_channels),
        pos("kernel_size", op.kernel),
        kw("stride", op.stride, 1),
        kw("padding", op.padding, 0),
        kw("output_padding", op.output_padding, 0),
        kw("groups", op.groups, 1),
        kw("bias", op.bias, True),
    ]


def _layernorm(op: norm.LayerNorm, shape: Sequence[Any]) -> Made:
    eps, affine = kw("eps", op.eps, 1e-5), kw("elementwise_affine", op.affine, True)
    over = op.axes_over((0,) * len(shape))  # by the rank alone
    if over == "channels":
        return "ChannelLayerNorm", [pos("normalized_shape", shape[0]), eps, affine]
    if over == "last":
        return "nn.LayerNorm", [pos("normalized_shape", shape[-1]), eps, affine]
    return "nn.LayerNorm", [exact("normalized_shape", tuple(shape)), eps, affine]


def _softmax(op: activation.Softmax, shape: Sequence[Any]) -> Made:
    rank = len(shape)
    if isinstance(op.dim, Expr):  # past the batch axis, as `axis` counts it
        return "nn.Softmax", [Slot("dim", combine("{0} % {1} + 1", op.dim, const(rank)))]
    # The axis to_torch picks for an input of this rank.
    dim = op.to_torch((1,) * rank, (1,) * rank).dim
    return "nn.Softmax", [Slot("dim", dim)]


def _tokens(op: layout.Tokens, shape: Sequence[Any]) -> Made:
    return "Tokens", []


def items(value: Any) -> tuple[Any, ...]:
    """A list argument's items: values, or the expressions a spec's list gives."""
    if isinstance(value, Expr):
        if value.items is None:
            raise ValueError("a list whose items are not known one by one")
        return tuple(value.items)
    return tuple(value)


def _permute(op: layout.Permute, shape: Sequence[Any]) -> Made:
    return "Permute", [exact("dims", items(op.dims))]


def _reshape(op: layout.Reshape, shape: Sequence[Any]) -> Made:
    return "Reshape", [exact("shape", items(op.shape))]


def _channel_shuffle(op: layout.ChannelShuffle, shape: Sequence[Any]) -> Made:
    return "ChannelShuffle", [pos("groups", op.groups)]


def _select(op: select.Select, shape: Sequence[Any]) -> Made:
    return "Select", [pos("index", op.index)]


def _mean(op: select.Mean, shape: Sequence[Any]) -> Made:
    return "Mean", [pos("dim", op.dim)]


def _crop(op: resize.Crop, shape: Sequence[Any]) -> Made:
    size = sides(op.size, len(shape) - 1)
    start = tuple(arith("({0} - {1}) // 2", n, s) for n, s in zip(shape[1:], size, strict=True))
    return "Crop", [exact("start", start), exact("length", size)]


def _upsample(op: resize.Upsample, shape: Sequence[Any]) -> Made:
    n = len(shape) - 1
    if op.size is not None:
        size = sides(op.size, n)
    else:
        size = tuple(
            arith("{0} * {1}", d, s) for d, s in zip(shape[1:], sides(op.scale, n), strict=True)
        )
    return "nn.Upsample", [Slot("size", size), kw("mode", op.mode, "nearest")]


def _attention(op: attention.MultiheadAttention, shape: Sequence[Any]) -> Made:
    return "SelfAttention", [
        pos("embed_dim", shape[-1]),
        pos("num_heads", op.heads),
        kw("dropout", op.dropout, 0.0),
        kw("bias", op.bias, True),
        Slot("batch_first", True),
    ]


def _window_attention(op: window_attention.WindowAttention, shape: Sequence[Any]) -> Made:
    # As `shifts`: no shift along an axis that one window covers once padded.
    shifts = tuple(
        arith("{0} if {1} < -(-{2} // {1}) * {1} else 0", op.shift, op.window, side)
        for side in (shape[0], shape[1])
    )
    return "WindowAttention", [
        pos("dim", shape[2]),
        pos("heads", op.heads),
        pos("window", op.window),
        exact("shift", shifts),
    ]


def _patch_merging(op: window_attention.PatchMerging, shape: Sequence[Any]) -> Made:
    return "PatchMerging", [pos("dim", shape[2])]


def _embedding(op: embedding.Embedding, shape: Sequence[Any]) -> Made:
    return "TokenEmbedding", [pos("num_embeddings", op.num), pos("embedding_dim", op.dim)]


def _recurrent(op: recurrent.GRU | recurrent.LSTM, shape: Sequence[Any]) -> Made:
    # With `state`, the module that also gives the last state(s).
    return op.state_class if op.state is True else op.torch_class, [
        pos("input_size", shape[1]),
        pos("hidden_size", op.hidden),
        pos("num_layers", op.layers),
        Slot("batch_first", True),
        kw("bidirectional", op.bidirectional, False),
    ]


MAKERS: dict[type[Op], Callable[[Any, Sequence[Any]], Made]] = {
    conv.ConvTranspose: _conv_transpose,
    norm.LayerNorm: _layernorm,
    activation.Softmax: _softmax,
    layout.Tokens: _tokens,
    layout.Permute: _permute,
    layout.Reshape: _reshape,
    layout.ChannelShuffle: _channel_shuffle,
    select.Select: _select,
    select.Mean: _mean,
    resize.Crop: _crop,
    resize.Upsample: _upsample,
    attention.MultiheadAttention: _attention,
    window_attention.WindowAttention: _window_attention,
    window_attention.PatchMerging: _patch_merging,
    embedding.Embedding: _embedding,
    recurrent.GRU: _recurrent,
    recurrent.LSTM: _recurrent,
}


# ---- ops of several values: each input's sizes and whether it is batched -------------
Operands = Sequence[tuple[Sequence[Any], bool]]


def _merge(op: merge.Add | merge.Mul, ins: Operands) -> Made:
    return "Merge", [pos("kind", op.name)]


def _join(op: merge.Concat, ins: Operands) -> Made:
    rank = max(len(dims) for dims, batched in ins if batched)
    # A shared value's per-sample shape: a leading axis of 1 dropped, as sample_shapes.
    shared = tuple(
        None if batched else tuple(dims[1:] if len(dims) == rank + 1 else dims)
        for dims, batched in ins
    )
    return "Join", [pos("dim", op.dim % rank + 1), exact("shared", list_of(shared))]


def _param(op: param.Param, ins: Operands) -> Made:
    return "Param", [
        exact("shape", items(op.shape)),
        pos("init", op.init),
        pos("std", op.std),
        pos("value", op.value),
    ]


def _cut(op: split.Chunk | split.Split, ins: Operands) -> Made:
    shape = ins[0][0]
    axis = op.dim % len(shape)
    if isinstance(op, split.Chunk):
        part = arith("{0} // {1}", shape[axis], op.chunks)
        sizes: Any = list_of((part,) * op.chunks)
    else:
        sizes = list_of(items(op.sizes))
    return "Cut", [exact("sizes", sizes), pos("dim", axis + 1)]


class ListOf(tuple[Any, ...]):
    """A tuple that Python writes as a list: torch.split's sizes, Join's shapes."""


def list_of(items: tuple[Any, ...]) -> ListOf:
    return ListOf(items)


VALUE_MAKERS: dict[type[Op], Callable[[Any, Operands], Made]] = {
    merge.Add: _merge,
    merge.Mul: _merge,
    merge.Concat: _join,
    param.Param: _param,
    split.Chunk: _cut,
    split.Split: _cut,
}
