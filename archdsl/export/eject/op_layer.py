"""One op call as a constructor template whose arguments are expressions.

The torch constructor and its argument order are those of `layers.layer_for`,
which `Op.to_torch` agrees with; here the op is made with expressions in place
of the values it would hold, so each argument comes out as the expression that
computes it. Besides the template: the width the op passes on, and the
condition under which it changes the height or width of its input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archdsl.export.eject.layers import layer_for
from archdsl.export.eject.symbolic import any_of, combine, const
from archdsl.export.eject.template import Expr, TLayer, TSlot
from archdsl.export.eject.tree import same
from archdsl.ops import activation, conv, dropout, linear, norm, pool, stochastic_depth, structural
from archdsl.ops.base import Op

# Constructors whose modules hold weights or buffers.
_STATEFUL = ("nn.Conv2d", "nn.Linear", "nn.BatchNorm", "nn.GroupNorm", "nn.LayerNorm")
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
)


# The ops whose templates are derived from a block's text, on flat inputs and
# images; the ops over other ranks, tokens and attention are not yet.
DERIVED: frozenset[type[Op]] = frozenset(
    {
        *_KEEP_SIZE,
        conv.Conv,
        linear.Linear,
        pool.MaxPool,
        pool.AvgPool,
        pool.AdaptiveAvgPool,
        pool.AdaptiveMaxPool,
        structural.Flatten,
        structural.PadChannels,
    }
)


def derivable(op: type[Op], rank: int, args: dict[str, Any]) -> bool:
    """Whether `op` fed an input of `rank` (1 or 3 here) with `args` has a template."""
    if op not in DERIVED or rank not in (1, 3):
        return False
    if op is linear.Linear and rank != 1:
        return False  # on an image's last axis
    if op is norm.LayerNorm and args.get("over", "all") != "all":
        return False
    return not (op is structural.Flatten and ("start" in args or "end" in args))


@dataclass(frozen=True)
class OpResult:
    layer: TLayer
    stateful: bool
    width: Expr | None  # the channels (or features) it outputs, None where unknown
    rank: int
    # True, False or a condition: whether it changes the size of some input.
    resizes: Expr | None
    hw: tuple[Expr, Expr] | None  # the height and width after it, where known


def op_layer(
    cls: type[Op], args: dict[str, Any], width: Expr, rank: int, hw: tuple[Expr, Expr] | None
) -> OpResult:
    """The op `cls` given `args` (values or Exprs by argument name) fed `width` channels."""
    op = _make(cls, args)
    shape: tuple[Any, ...] = (width,) if rank == 1 else (width, *(hw or (const(0), const(0))))
    made = layer_for(op, shape)
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
    stateful = made.ctor.startswith(_STATEFUL) and not _stateless_norm(layer)
    out, out_rank = _output_width(op, width, rank, hw)
    resizes = _resizes(op, rank)
    return OpResult(layer, stateful, out, out_rank, resizes, _hw_after(op, hw, resizes))


def _hw_after(op: Op, hw: tuple[Expr, Expr] | None, resizes: Expr | None) -> Any:
    if isinstance(op, pool.MaxPool | pool.AvgPool) and isinstance(op.kernel, str):
        return const(1), const(1)
    if isinstance(op, pool.AdaptiveAvgPool | pool.AdaptiveMaxPool):
        return _axis(op.size, 0), _axis(op.size, 1)
    return hw if is_false(resizes) else None


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
    for candidate in (1, 1.0, "global"):
        try:
            cls(**{n: candidate for n in cls.required_args()})
            return candidate
        except ValueError:
            continue
    raise ValueError(f"no stand-in for {cls.name}'s `{name}`")


def _expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
        parts = [_expr(v) for v in value]
        return combine("(" + ", ".join(f"{{{i}}}" for i in range(len(parts))) + ",)", *parts)
    return const(value)


def _stateless_norm(layer: TLayer) -> bool:
    flags = {s.name: s.expr for s in layer.slots}
    off = [flags.get(k) for k in ("affine", "track_running_stats", "elementwise_affine")]
    present = [f for f in off if f is not None]
    return bool(present) and all(f.literal and f.value is False for f in present)


def _output_width(
    op: Op, width: Expr, rank: int, hw: tuple[Expr, Expr] | None
) -> tuple[Expr | None, int]:
    if isinstance(op, conv.Conv):
        return _expr(op.out_channels), 3
    if isinstance(op, linear.Linear):
        return _expr(op.out_features), 1
    if isinstance(op, structural.PadChannels):
        return _expr(op.channels), 3
    if isinstance(op, structural.Flatten):
        if rank == 1:
            return width, 1
        if hw is None:
            return None, 1  # it depends on the input's height and width
        return combine("{0} * {1} * {2}", width, *hw), 1
    return width, rank


def _axis(value: Any, axis: int) -> Expr:
    if isinstance(value, tuple):
        return _expr(value[axis])
    return _expr(value)


def _window_resizes(kernel: Any, stride: Any, padding: Any, dilation: Any) -> Expr:
    """A window keeps every size exactly when its stride is 1 and its padding is `same`."""
    atoms = []
    for axis in range(2):
        k, s, p, d = (_axis(v, axis) for v in (kernel, stride, padding, dilation))
        atoms.append(combine("{0} != 1 or 2 * {1} != {2} * ({3} - 1)", s, p, d, k))
    return any_of(atoms)


def _resizes(op: Op, rank: int) -> Expr | None:
    if isinstance(op, _KEEP_SIZE) or rank == 1:
        return const(False)
    if isinstance(op, conv.Conv):
        if isinstance(op.padding, str):
            # `same` needs stride 1 and keeps the size; `valid` is no padding.
            if op.padding == "same":
                return const(False)
            return _window_resizes(op.kernel, op.stride, 0, op.dilation)
        return _window_resizes(op.kernel, op.stride, op.padding, op.dilation)
    if isinstance(op, pool.MaxPool | pool.AvgPool):
        if isinstance(op.kernel, str):
            return const(True)  # global: to 1x1 (an input already 1x1 aside)
        kernel = op.kernel
        stride = kernel if op.stride is None else op.stride
        dilation = op.dilation if isinstance(op, pool.MaxPool) else 1
        return _window_resizes(kernel, stride, op.padding, dilation)
    if isinstance(op, structural.PadChannels):
        return combine("{0} != 1 or {1} != 1", _axis(op.stride, 0), _axis(op.stride, 1))
    if isinstance(op, structural.Flatten):
        return const(True)
    return None  # adaptive pools: it depends on the input's size
