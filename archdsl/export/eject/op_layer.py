"""One op call as a constructor template whose arguments are expressions.

The torch constructor and its argument order are those of `layers.layer_for`,
which `Op.to_torch` agrees with; here the op is made with expressions in place
of the values it would hold, so each argument comes out as the expression that
computes it. Besides the template: the sizes the op passes on (shapes.py), and
the condition under which it changes the size of any axis but the first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from archdsl.export.eject.layers import layer_for, value_layer_for
from archdsl.export.eject.layers_nd import VALUE_MAKERS, Dims, ListOf
from archdsl.export.eject.shapes import out_dims, state_dims, value_out_dims
from archdsl.export.eject.symbolic import any_of, combine, const
from archdsl.export.eject.template import Expr, TLayer, TSlot, python
from archdsl.export.eject.tree import same
from archdsl.ops import (
    activation,
    attention,
    conv,
    dropout,
    layout,
    norm,
    pool,
    stochastic_depth,
    structural,
    window_attention,
)
from archdsl.ops.base import Op

# Constructors whose modules hold weights or buffers.
_STATEFUL = ("nn.Conv", "nn.Linear", "nn.BatchNorm", "nn.GroupNorm", "nn.LayerNorm")
# Ops that keep the height and width of their input whatever their arguments.
_KEEP_SIZE = (
    activation.ReLU,
    activation.ReLU6,
    activation.LeakyReLU,
    activation.ELU,
    activation.GELU,
    activation.SiLU,
    activation.Hardswish,
    activation.Hardsigmoid,
    activation.Sigmoid,
    activation.Tanh,
    activation.Softmax,
    norm.BatchNorm,
    norm.LayerNorm,
    norm.GroupNorm,
    norm.LocalResponseNorm,
    structural.Identity,
    structural.Scale,
    stochastic_depth.StochasticDepth,
    dropout.Dropout,
    dropout.Dropout2d,
    layout.ChannelShuffle,
    attention.MultiheadAttention,
    window_attention.WindowAttention,
)


@dataclass(frozen=True)
class OpResult:
    layer: TLayer
    stateful: bool
    outs: tuple[tuple[Expr | None, ...], ...]  # each output's sizes, None where unknown
    # True, False or a condition: whether it changes the size of any axis but the first.
    resizes: Expr | None


# Helper modules (helpers.py) that hold weights or buffers.
_STATEFUL_HELPERS = frozenset(
    {
        "ChannelLayerNorm",
        "SelfAttention",
        "WindowAttention",
        "PatchMerging",
        "TokenEmbedding",
        "SequenceGRU",
        "SequenceLSTM",
        "StateGRU",
        "StateLSTM",
        "Param",
    }
)


def op_layer(
    cls: type[Op],
    args: dict[str, Any],
    dims: tuple[Expr | None, ...],
    operands: list[tuple[tuple[Expr | None, ...], bool]] | None = None,
    outputs: int = 1,
) -> OpResult:
    """The op `cls` given `args` (values or Exprs by argument name) fed an input of
    sizes `dims`, or, for an op of several values (or none), `operands`: each one's
    sizes and whether it is batched, and how many values it makes. Raises NeedDim for
    a size it needs and lacks."""
    op = _make(cls, args)
    if operands is not None and type(op) in VALUE_MAKERS:
        made = value_layer_for(op, [(Dims(d), batched) for d, batched in operands])
        outs = value_out_dims(op, operands)
        resizes: Expr | None = None
    elif operands is not None:
        # One input and several outputs (a recurrent layer's states): its module is the
        # one-input op's; the sizes of all but its first output are not known here.
        made = layer_for(op, Dims(operands[0][0]))
        first = out_dims(op, operands[0][0])
        outs = (first, *state_dims(op, outputs - 1))
        resizes = None
    else:
        made = layer_for(op, Dims(dims))
        outs = (out_dims(op, dims),)
        resizes = _resizes(op, dims, outs[0])
    slots = []
    for slot in made.slots:
        expr = _expr(slot.value)
        default = slot.default
        if isinstance(default, Expr):
            omit = not expr.literal and expr.code == default.code
        else:
            omit = slot.has_default and expr.literal and same(expr.value, default)
        slots.append(TSlot(slot.name, expr, slot.positional, omit))
    layer = TLayer(made.ctor, tuple(slots))
    stateful = made.ctor.startswith(_STATEFUL) or made.ctor in _STATEFUL_HELPERS
    stateful = stateful and not _stateless_norm(layer)
    return OpResult(layer, stateful, outs, resizes)


def is_false(expr: Expr | None) -> bool:
    return expr is not None and expr.literal and expr.value is False


def _make(cls: type[Op], args: dict[str, Any]) -> Op:
    """The op with each symbolic argument an Expr; the known ones validated as usual."""
    known = {k: v for k, v in args.items() if not isinstance(v, Expr)}
    symbolic = {k: v for k, v in args.items() if isinstance(v, Expr)}
    for name in cls.required_args():
        if name in symbolic:
            known[name] = _placeholder(cls, name)
    op = cls(**known)
    return op.model_copy(update=symbolic) if symbolic else op


def _placeholder(cls: type[Op], name: str) -> Any:
    """A valid stand-in for a required argument that an Expr then replaces."""
    for candidate in (1, 1.0, "global", [1]):
        try:
            cls(**{n: candidate for n in cls.required_args()})
            return candidate
        except ValueError:
            continue
    raise ValueError(f"no stand-in for {cls.name}'s `{name}`")


def _expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, ListOf | tuple) and _symbolic(value):
        parts = [_expr(v) for v in value]
        if all(p.literal for p in parts):
            return _expr(type(value)(p.value for p in parts))
        holes = ", ".join(f"{{{i}}}" for i in range(len(parts)))
        form = f"[{holes}]" if isinstance(value, ListOf) else f"({holes},)"
        return replace(combine(form, *parts), items=tuple(parts))
    if isinstance(value, ListOf):
        return Expr(python(list(value)), literal=True, value=tuple(value))
    if isinstance(value, tuple):
        return Expr(python(value), literal=True, value=value)  # as written: (4, 4) stays
    return const(value)


def _symbolic(value: Any) -> bool:
    if isinstance(value, tuple):
        return any(_symbolic(v) for v in value)
    return isinstance(value, Expr)


def _stateless_norm(layer: TLayer) -> bool:
    flags = {s.name: s.expr for s in layer.slots}
    off = [flags.get(k) for k in ("affine", "track_running_stats", "elementwise_affine")]
    present = [f for f in off if f is not None]
    return bool(present) and all(f.literal and f.value is False for f in present)


def _axis(value: Any, axis: int) -> Expr:
    if isinstance(value, tuple):
        return _expr(value[axis])
    return _expr(value)


def _window_resizes(kernel: Any, stride: Any, padding: Any, dilation: Any, n: int) -> Expr:
    """A window keeps every size exactly when its stride is 1 and its padding is `same`."""
    atoms = []
    for axis in range(n):
        k, s, p, d = (_axis(v, axis) for v in (kernel, stride, padding, dilation))
        atoms.append(combine("{0} != 1 or 2 * {1} != {2} * ({3} - 1)", s, p, d, k))
    return any_of(atoms)


def _resizes(op: Op, dims: tuple[Expr | None, ...], out: tuple[Expr | None, ...]) -> Expr | None:
    """Whether the op changes the size of any axis but the first: True, False or a
    condition over the class's parameters; None where it depends on the input."""
    n = len(dims) - 1
    if isinstance(op, _KEEP_SIZE) or len(dims) == 1:
        return const(False)
    if isinstance(op, conv.Conv):
        if isinstance(op.padding, str):
            # `same` needs stride 1 and keeps the size; `valid` is no padding.
            if op.padding == "same":
                return const(False)
            return _window_resizes(op.kernel, op.stride, 0, op.dilation, n)
        return _window_resizes(op.kernel, op.stride, op.padding, op.dilation, n)
    if isinstance(op, pool.MaxPool | pool.AvgPool):
        if isinstance(op.kernel, str):
            return const(True)  # global: to 1x1 (an input already 1x1 aside)
        kernel = op.kernel
        stride = kernel if op.stride is None else op.stride
        dilation = op.dilation if isinstance(op, pool.MaxPool) else 1
        return _window_resizes(kernel, stride, op.padding, dilation, n)
    if isinstance(op, structural.PadChannels):
        return combine("{0} != 1 or {1} != 1", _axis(op.stride, 0), _axis(op.stride, 1))
    if len(out) != len(dims):
        return const(True)
    changes = []
    for before, after in zip(dims[1:], out[1:], strict=True):
        if before is None or after is None:
            return None
        changes.append(combine("{0} != {1}", before, after))
    return any_of(changes)
