"""Each op as the torch constructor call that `Op.to_torch` makes, argument by argument."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from archdsl.export.eject.tree import Layer, Slot, Value, canonical
from archdsl.ops import (
    activation,
    conv,
    dropout,
    linear,
    merge,
    norm,
    param,
    pool,
    split,
    stochastic_depth,
    structural,
)
from archdsl.ops.base import Op, Operand
from archdsl.ops.shape_math import Shape

Made = tuple[str, list[Slot]]


def pos(name: str, value: Value) -> Slot:
    return Slot(name, canonical(value), positional=True)


def kw(name: str, value: Value, default: Value) -> Slot:
    return Slot(name, canonical(value), default=canonical(default), has_default=True)


def _conv(op: conv.Conv, shape: Shape) -> Made:
    return "nn.Conv2d", [
        pos("in_channels", shape[0]),
        pos("out_channels", op.out_channels),
        pos("kernel_size", op.kernel),
        kw("stride", op.stride, 1),
        kw("padding", op.padding, 0),
        kw("dilation", op.dilation, 1),
        kw("groups", op.groups, 1),
        kw("bias", op.bias, True),
    ]


def _pool(op: pool.MaxPool | pool.AvgPool, shape: Shape) -> Made:
    kind = "Max" if isinstance(op, pool.MaxPool) else "Avg"
    if op.kernel == "global":
        return f"nn.Adaptive{kind}Pool2d", [pos("output_size", 1)]
    kernel, stride = op.window()
    slots = [
        pos("kernel_size", kernel),
        kw("stride", stride, canonical(kernel)),
        kw("padding", op.padding, 0),
    ]
    if isinstance(op, pool.MaxPool):
        slots.append(kw("dilation", op.dilation, 1))
    slots.append(kw("ceil_mode", op.ceil_mode, False))
    if isinstance(op, pool.AvgPool):
        slots.append(kw("count_include_pad", op.count_include_pad, True))
    return f"nn.{kind}Pool2d", slots


def _batchnorm(op: norm.BatchNorm, shape: Shape) -> Made:
    return f"nn.BatchNorm{2 if len(shape) == 3 else 1}d", [
        pos("num_features", shape[0]),
        kw("eps", op.eps, 1e-5),
        kw("momentum", op.momentum, 0.1),
        kw("affine", op.affine, True),
        kw("track_running_stats", op.track_running_stats, True),
    ]


def _linear(op: linear.Linear, shape: Shape) -> Made:
    return "nn.Linear", [
        pos("in_features", shape[0]),
        pos("out_features", op.out_features),
        kw("bias", op.bias, True),
    ]


def _adaptive(op: pool.AdaptiveAvgPool | pool.AdaptiveMaxPool, shape: Shape) -> Made:
    kind = "Avg" if isinstance(op, pool.AdaptiveAvgPool) else "Max"
    return f"nn.Adaptive{kind}Pool2d", [pos("output_size", op.size)]


def _layernorm(op: norm.LayerNorm, shape: Shape) -> Made:
    # The whole shape, never collapsed to one side: (8, 8) is not 8 here.
    return "nn.LayerNorm", [
        Slot("normalized_shape", tuple(shape), positional=True),
        kw("eps", op.eps, 1e-5),
        kw("elementwise_affine", op.affine, True),
    ]


def _groupnorm(op: norm.GroupNorm, shape: Shape) -> Made:
    return "nn.GroupNorm", [
        pos("num_groups", op.groups),
        pos("num_channels", shape[0]),
        kw("eps", op.eps, 1e-5),
        kw("affine", op.affine, True),
    ]


def _lrn(op: norm.LocalResponseNorm, shape: Shape) -> Made:
    return "nn.LocalResponseNorm", [
        pos("size", op.size),
        kw("alpha", op.alpha, 1e-4),
        kw("beta", op.beta, 0.75),
        kw("k", op.k, 1.0),
    ]


def _dropout(op: dropout.Dropout | dropout.Dropout2d, shape: Shape) -> Made:
    ctor = "nn.Dropout2d" if isinstance(op, dropout.Dropout2d) else "nn.Dropout"
    # The rate is the point of the layer: written even when it is torch's default.
    return ctor, [Slot("p", op.p)]


def _stochastic_depth(op: stochastic_depth.StochasticDepth, shape: Shape) -> Made:
    # Like dropout's rate, the probability is the point: always written.
    return "StochasticDepth", [Slot("p", op.p, positional=True), kw("mode", op.mode, "row")]


def _leaky_relu(op: activation.LeakyReLU, shape: Shape) -> Made:
    return "nn.LeakyReLU", [kw("negative_slope", op.slope, 0.01), _INPLACE]


def _elu(op: activation.ELU, shape: Shape) -> Made:
    return "nn.ELU", [kw("alpha", op.alpha, 1.0)]


def _gelu(op: activation.GELU, shape: Shape) -> Made:
    return "nn.GELU", [kw("approximate", op.approximate, "none")]


def _scale(op: structural.Scale, shape: Shape) -> Made:
    return "Scale", [pos("factor", op.factor)]


def _pad_channels(op: structural.PadChannels, shape: Shape) -> Made:
    return "PadChannels", [
        pos("in_channels", shape[0]),
        pos("out_channels", op.channels),
        kw("stride", op.stride, 1),
    ]


# Activations as to_torch builds them: in place wherever torch allows it.
_INPLACE = kw("inplace", True, False)
_NOT_IN_PLACE = kw("inplace", False, False)
_PLAIN: dict[type[Op], tuple[str, list[Slot]]] = {
    activation.ReLU: ("nn.ReLU", [_INPLACE]),
    activation.ReLU6: ("nn.ReLU6", [_INPLACE]),
    activation.SiLU: ("nn.SiLU", [_INPLACE]),
    activation.Hardswish: ("nn.Hardswish", [_INPLACE]),
    activation.Hardsigmoid: ("nn.Hardsigmoid", [_INPLACE]),
    activation.Sigmoid: ("nn.Sigmoid", []),
    activation.Tanh: ("nn.Tanh", []),
    activation.Softmax: ("nn.Softmax", [kw("dim", 1, None)]),
    structural.Flatten: ("nn.Flatten", []),
    structural.Identity: ("nn.Identity", []),
}

_MAKERS: dict[type[Op], Callable[[Any, Shape], Made]] = {
    conv.Conv: _conv,
    pool.MaxPool: _pool,
    pool.AvgPool: _pool,
    pool.AdaptiveAvgPool: _adaptive,
    pool.AdaptiveMaxPool: _adaptive,
    norm.BatchNorm: _batchnorm,
    norm.LayerNorm: _layernorm,
    norm.GroupNorm: _groupnorm,
    norm.LocalResponseNorm: _lrn,
    linear.Linear: _linear,
    dropout.Dropout: _dropout,
    dropout.Dropout2d: _dropout,
    stochastic_depth.StochasticDepth: _stochastic_depth,
    activation.LeakyReLU: _leaky_relu,
    activation.ELU: _elu,
    activation.GELU: _gelu,
    structural.Scale: _scale,
    structural.PadChannels: _pad_channels,
}


# torch's names for arguments the spec names otherwise.
_SPEC_NAMES = {
    "kernel_size": "kernel",
    "output_size": "size",
    "negative_slope": "slope",
    "elementwise_affine": "affine",
    "num_groups": "groups",
}
# Arguments that come from the incoming shape, whatever their name in the op.
_FROM_SHAPE = frozenset(
    {"in_channels", "in_features", "num_features", "num_channels", "normalized_shape"}
)


def _merge(op: merge.Add | merge.Mul, ins: Sequence[Operand]) -> Made:
    return "Merge", [pos("kind", op.name)]


def _join(op: merge.Concat, ins: Sequence[Operand]) -> Made:
    # The torch axis, past the batch's: no spec argument says it as it is.
    return "Join", [pos("axis", op.axis(len(op.sample_shapes(ins)[0])) + 1)]


def _param(op: param.Param, ins: Sequence[Operand]) -> Made:
    return "Param", [
        Slot("shape", tuple(op.shape), positional=True),  # never collapsed: (4, 4) is not 4
        kw("init", op.init, "zeros"),
        kw("std", op.std, 0.02),
        kw("value", op.value, 0.0),
    ]


def _cut(op: split.Chunk | split.Split, ins: Sequence[Operand]) -> Made:
    axis = kw("axis", split.axis_of(op.dim, ins[0].shape) + 1, 1)
    if isinstance(op, split.Chunk):
        return "Chunk", [pos("chunks", op.chunks), axis]
    return "Split", [Slot("sizes", tuple(op.sizes), positional=True), axis]


# Ops that read or make several values, built from the values' operands.
_VALUE_MAKERS: dict[type[Op], Callable[[Any, Sequence[Operand]], Made]] = {
    merge.Add: _merge,
    merge.Mul: _merge,
    merge.Concat: _join,
    param.Param: _param,
    split.Chunk: _cut,
    split.Split: _cut,
}


def layer_for(
    op: Op,
    shape: Shape,
    stateful: bool,
    span: Any = None,
    operands: Sequence[Operand] = (),
    in_place: bool = True,
) -> Layer:
    """The constructor call of `op` fed `shape` (its first input's; `operands` are all
    of them); raises KeyError for an op without one. An in-place activation is written
    out of place where `in_place` is false: another reader shares its input.

    Each argument remembers the spec argument it comes from, so that the
    expression the spec wrote for it can be found again.
    """
    if type(op) in _PLAIN:
        ctor, slots = _PLAIN[type(op)]
    elif type(op) in _VALUE_MAKERS:
        ctor, slots = _VALUE_MAKERS[type(op)](op, operands)
    else:
        ctor, slots = _MAKERS[type(op)](op, shape)
    if not in_place:
        slots = [_NOT_IN_PLACE if s is _INPLACE else s for s in slots]
    tagged = []
    for slot in slots:
        spec = _SPEC_NAMES.get(slot.name, slot.name)
        if isinstance(op, structural.PadChannels) and slot.name == "out_channels":
            spec = "channels"  # pad_channels's `channels`, under the helper's name
        known = slot.name not in _FROM_SHAPE and spec in op.arg_names()
        tagged.append(replace(slot, arg=spec if known else None))
    return Layer(ctor, tuple(tagged), stateful, span)
