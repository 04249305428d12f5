"""The sizes an op passes on, as expressions over a class's parameters: each op's
shape rule (archdsl.ops) restated over expressions, None where a size is unknown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archdsl.export.eject.layers_nd import items, sides
from archdsl.export.eject.symbolic import combine, const, join
from archdsl.export.eject.template import Expr
from archdsl.ops import (
    conv,
    embedding,
    layout,
    linear,
    merge,
    param,
    pool,
    recurrent,
    resize,
    select,
    split,
    structural,
    window_attention,
)
from archdsl.ops.base import Op

Dims = tuple[Expr | None, ...]


def _e(value: Any) -> Expr:
    return value if isinstance(value, Expr) else const(value)


def _times(*parts: Expr | None) -> Expr | None:
    if any(p is None for p in parts):
        return None
    return join(" * ", [p for p in parts if p is not None])


def _unknown(n: int) -> Dims:
    return (None,) * n


def out_dims(op: Op, dims: Dims) -> Dims:
    """The sizes of the op's output, fed an input of sizes `dims`."""
    n = len(dims) - 1
    if isinstance(op, conv.Conv | conv.ConvTranspose):
        return (_e(op.out_channels), *_unknown(n))  # kept where the op resizes nothing
    if isinstance(op, linear.Linear):
        return (*dims[:-1], _e(op.out_features))
    if isinstance(op, structural.PadChannels):
        return (_e(op.channels), *_unknown(n))
    if isinstance(op, structural.Flatten):
        first, last = op.span((1,) * len(dims))
        return (*dims[:first], _times(*dims[first : last + 1]), *dims[last + 1 :])
    if isinstance(op, pool.MaxPool | pool.AvgPool):
        if isinstance(op.kernel, str):
            return (dims[0], *(const(1),) * n)
        return (dims[0], *_unknown(n))
    if isinstance(op, pool.AdaptiveAvgPool | pool.AdaptiveMaxPool):
        return (dims[0], *(_e(s) for s in sides(op.size, n)))
    if isinstance(op, layout.Tokens):
        return (_times(*dims[1:]), dims[0])
    if isinstance(op, layout.Permute):
        order = items(op.dims)
        if not all(isinstance(d, int) for d in order):
            return _unknown(len(dims))
        return tuple(dims[d] for d in order)
    if isinstance(op, layout.Reshape):
        return _reshaped(op, dims)
    if isinstance(op, select.Select):
        return dims[1:]
    if isinstance(op, select.Mean):
        axis = op.dim % len(dims)
        return dims[:axis] + dims[axis + 1 :]
    if isinstance(op, resize.Crop):
        return (dims[0], *(_e(s) for s in sides(op.size, n)))
    if isinstance(op, resize.Upsample):
        if op.size is not None:
            return (dims[0], *(_e(s) for s in sides(op.size, n)))
        scales = sides(op.scale, n)
        return (dims[0], *(_times(d, _e(s)) for d, s in zip(dims[1:], scales, strict=True)))
    if isinstance(op, window_attention.PatchMerging):
        h, w, c = dims
        half = [None if d is None else combine("({0} + 1) // 2", d) for d in (h, w)]
        return (half[0], half[1], _times(const(2), c))
    if isinstance(op, embedding.Embedding):
        return (dims[0], _e(op.dim))
    if isinstance(op, recurrent.GRU | recurrent.LSTM):
        dirs = combine("2 if {0} else 1", _e(op.bidirectional))
        return (dims[0], _times(_e(op.hidden), dirs))
    return dims  # the ops that keep the shape


def state_dims(op: Op, count: int) -> tuple[Dims, ...]:
    """The sizes of the `count` outputs after the first of an op of one input: a
    recurrent layer's last states, [layers * directions, hidden] each."""
    if isinstance(op, recurrent.GRU | recurrent.LSTM):
        dirs = combine("2 if {0} else 1", _e(op.bidirectional))
        return ((_times(_e(op.layers), dirs), _e(op.hidden)),) * count
    return ((None,),) * count


def _reshaped(op: layout.Reshape, dims: Dims) -> Dims:
    shape = items(op.shape)
    if -1 not in shape:
        return tuple(_e(s) for s in shape)
    total = _times(*dims)
    known = _times(*(_e(s) for s in shape if s != -1))
    free = None if total is None or known is None else combine("{0} // {1}", total, known)
    return tuple(free if s == -1 else _e(s) for s in shape)


def value_out_dims(op: Op, operands: Sequence[tuple[Dims, bool]]) -> tuple[Dims, ...]:
    """The sizes of each output of an op of several values (or none)."""
    if isinstance(op, param.Param):
        return (tuple(_e(s) if s is not None else None for s in items(op.shape)),)
    rank = max(len(d) for d, batched in operands if batched)
    samples = [d if batched else _per_sample(d, rank) for d, batched in operands]
    if isinstance(op, merge.Concat):
        axis = op.dim % rank
        parts = [s[axis] for s in samples]
        total = None if any(p is None for p in parts) else join(" + ", [p for p in parts if p])
        first = samples[0]
        return ((*first[:axis], total, *first[axis + 1 :]),)
    if isinstance(op, merge.Add | merge.Mul):
        return (_broadcast(samples, rank),)
    if isinstance(op, split.Chunk | split.Split):
        shape = samples[0]
        axis = op.dim % len(shape)
        if isinstance(op, split.Chunk):
            whole = shape[axis]
            part = None if whole is None else combine("{0} // {1}", whole, _e(op.chunks))
            sizes: list[Expr | None] = [part] * op.chunks
        else:
            sizes = [_e(s) for s in items(op.sizes)]
        return tuple((*shape[:axis], s, *shape[axis + 1 :]) for s in sizes)
    raise KeyError(type(op).__name__)


def _per_sample(dims: Dims, rank: int) -> Dims:
    """A shared value's sizes against values of `rank`: a leading 1 dropped, or lifted."""
    if len(dims) == rank + 1:
        return dims[1:]
    return (*(const(1),) * (rank - len(dims)), *dims)


def _broadcast(samples: list[Dims], rank: int) -> Dims:
    """Numpy's rule from the right: each axis's size is the one that is not 1."""
    out: list[Expr | None] = []
    for axis in range(rank):
        sizes = [s[len(s) - rank + axis] for s in samples if len(s) - rank + axis >= 0]
        wide = [s for s in sizes if not (s is not None and s.literal and s.value == 1)]
        if any(s is None for s in wide):
            out.append(None)
        elif wide:
            out.append(wide[0])
        else:
            out.append(const(1))
    return tuple(out)
