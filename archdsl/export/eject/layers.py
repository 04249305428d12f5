"""Each op as the torch constructor call that `Op.to_torch` makes, argument by argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archdsl.export.eject.layers_nd import MAKERS, VALUE_MAKERS, Operands, kw, pos
from archdsl.export.eject.tree import Layer, Slot, canonical
from archdsl.ops import (
    activation,
    conv,
    dropout,
    linear,
    norm,
    pool,
    stochastic_depth,
    structural,
)
from archdsl.ops.base import Op
from archdsl.ops.shape_math import Shape

Made = tuple[str, list[Slot]]


def _conv(op: conv.Conv, shape: Shape) -> Made:
    return f"nn.{conv.CONV_CLASSES[len(shape) - 1]}", [
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
        return f"nn.{pool.pool_class(f'Adaptive{kind}Pool', shape)}", [pos("output_size", 1)]
    kernel = op.kernel
    slots = [
        pos("kernel_size", kernel),
        kw("stride", kernel if op.stride is None else op.stride, canonical(kernel)),
        kw("padding", op.padding, 0),
    ]
    if isinstance(op, pool.MaxPool):
        slots.append(kw("dilation", op.dilation, 1))
    slots.append(kw("ceil_mode", op.ceil_mode, False))
    if isinstance(op, pool.AvgPool):
        slots.append(kw("count_include_pad", op.count_include_pad, True))
    return f"nn.{pool.pool_class(f'{kind}Pool', shape)}", slots


def _batchnorm(op: norm.BatchNorm, shape: Shape) -> Made:
    return f"nn.{norm.batchnorm_class(shape)}", [
        pos("num_features", shape[0]),
        kw("eps", op.eps, 1e-5),
        kw("momentum", op.momentum, 0.1),
        kw("affine", op.affine, True),
        kw("track_running_stats", op.track_running_stats, True),
    ]


def _linear(op: linear.Linear, shape: Shape) -> Made:
    return "nn.Linear", [
        pos("in_features", shape[-1]),
        pos("out_features", op.out_features),
        kw("bias", op.bias, True),
    ]


def _adaptive(op: pool.AdaptiveAvgPool | pool.AdaptiveMaxPool, shape: Shape) -> Made:
    kind = "Avg" if isinstance(op, pool.AdaptiveAvgPool) else "Max"
    return f"nn.{pool.pool_class(f'Adaptive{kind}Pool', shape)}", [pos("output_size", op.size)]


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


def _flatten(op: structural.Flatten, shape: Shape) -> Made:
    start, end = op.torch_dims(shape)
    return "nn.Flatten", [kw("start_dim", start, 1), kw("end_dim", end, -1)]


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
_PLAIN: dict[type[Op], tuple[str, list[Slot]]] = {
    activation.ReLU: ("nn.ReLU", [_INPLACE]),
    activation.ReLU6: ("nn.ReLU6", [_INPLACE]),
    activation.SiLU: ("nn.SiLU", [_INPLACE]),
    activation.Hardswish: ("nn.Hardswish", [_INPLACE]),
    activation.Hardsigmoid: ("nn.Hardsigmoid", [_INPLACE]),
    activation.Sigmoid: ("nn.Sigmoid", []),
    activation.Tanh: ("nn.Tanh", []),
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
    structural.Flatten: _flatten,
    structural.PadChannels: _pad_channels,
}


def layer_for(op: Op, shape: Shape) -> Layer:
    """The constructor call of `op` fed `shape`; raises KeyError for an op without one."""
    if type(op) in _PLAIN:
        ctor, slots = _PLAIN[type(op)]
    elif type(op) in MAKERS and (
        not isinstance(op, norm.LayerNorm) or op.axes_over(shape) != "all"
    ):
        ctor, slots = MAKERS[type(op)](op, shape)
    else:
        ctor, slots = _MAKERS[type(op)](op, shape)
    return Layer(ctor, tuple(slots))


def value_layer_for(op: Op, operands: Operands) -> Layer:
    """The constructor call of an op of several values (or none), fed `operands`."""
    ctor, slots = VALUE_MAKERS[type(op)](op, operands)
    return Layer(ctor, tuple(slots))
