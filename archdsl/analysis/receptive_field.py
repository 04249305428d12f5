"""Receptive field and effective stride of every node, from the IR alone.

Along each spatial axis (height, width) a node's output is described by the
field of its first output position: where it starts in the input (`left`,
negative where it reaches into padding), how wide it is (`size`), and how
far apart in the input two neighbouring outputs are (`jump`, the effective
stride). A window op (conv, pool) of kernel k, dilation d, stride s and
padding p before the data follows the usual recurrence:

    k_eff = d * (k - 1) + 1
    size_out = size_in + (k_eff - 1) * jump_in
    jump_out = jump_in * s
    left_out = left_in - p * jump_in

Branches (`concat`, `add`, `mul`) and residuals (body and shortcut) merge by taking
the span of their branches' fields, which is the largest field when the
branches are centred alike (as every size-keeping padding makes them), and
the largest jump: a branch that samples more coarsely sets how fast the
field grows after the merge. Global pooling makes a node see the whole
input, and so do `flatten` and `linear`, which mix every position; from
there on the field is the input's size and the jump is the input's size
too (one output per input). Everything else (activations, normalisation,
dropout, `scale`, `identity`) is pointwise: normalisation layers compute
statistics over the map but apply them alike to every position, and are
not counted, as in every published receptive-field table.

The field is the theoretical one: it may be wider than the input where it
reaches into padding (ResNet-50 sees 427 pixels at the end of layer4 of a
224-pixel input). Models whose input is not an image have no field.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from archdsl.ir import Model, Node, OpNode, ParallelNode, ResidualNode, is_chain
from archdsl.ops import Op
from archdsl.ops.attention import MultiheadAttention
from archdsl.ops.conv import Conv, ConvTranspose
from archdsl.ops.layout import Permute, Reshape, Tokens
from archdsl.ops.linear import Linear
from archdsl.ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool
from archdsl.ops.resize import Crop, Upsample
from archdsl.ops.shape_math import effective_kernel
from archdsl.ops.structural import Flatten, PadChannels
from archdsl.ops.window_attention import PatchMerging, WindowAttention

Pair = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Field:
    """The receptive field at a node's output, per axis (height, width)."""

    size: Pair
    jump: Pair
    left: Pair
    whole: bool = False  # the output depends on the whole input

    def window(
        self,
        kernel: tuple[int, ...],
        stride: tuple[int, ...],
        pad: tuple[int, ...],
        dilation: tuple[int, ...] = (1, 1),
    ) -> Field:
        size, jump, left = [], [], []
        for axis in range(2):
            k_eff = effective_kernel(kernel[axis], dilation[axis])
            size.append(self.size[axis] + (k_eff - 1) * self.jump[axis])
            jump.append(self.jump[axis] * stride[axis])
            left.append(self.left[axis] - pad[axis] * self.jump[axis])
        return Field((size[0], size[1]), (jump[0], jump[1]), (left[0], left[1]))


@dataclass(frozen=True, slots=True)
class _Input:
    """The model input's height and width: the field of a node that sees all of it."""

    hw: Pair

    def start(self) -> Field:
        return Field((1, 1), (1, 1), (0, 0))

    def whole(self) -> Field:
        return Field(self.hw, self.hw, (0, 0), whole=True)


def receptive_fields(model: Model) -> dict[str, Field] | None:
    """The field at the output of every node, by node path; None for non-image models
    and for graphs of named values (the tree walk below follows one chain)."""
    if len(model.input) != 3 or not is_chain(model):
        return None
    inp = _Input((model.input[1], model.input[2]))
    fields: dict[str, Field] = {}
    fields[model.root.path] = _through(model.root, inp.start(), inp, fields)
    return fields


def merge(branches: list[Field], whole: Field) -> Field:
    """The field of a merge: the span of the branches' fields and their largest jump."""
    if any(f.whole for f in branches):
        return whole
    size, jump, left = [], [], []
    for axis in range(2):
        low = min(f.left[axis] for f in branches)
        high = max(f.left[axis] + f.size[axis] for f in branches)
        size.append(high - low)
        jump.append(max(f.jump[axis] for f in branches))
        left.append(low)
    return Field((size[0], size[1]), (jump[0], jump[1]), (left[0], left[1]))


def _through(node: Node, field: Field, inp: _Input, out: dict[str, Field]) -> Field:
    """The field after `node`, recording it and the fields of everything inside it."""
    if isinstance(node, OpNode):
        result = _op(node.op, node.in_shape, field, inp)
    elif isinstance(node, ParallelNode):
        result = merge([_through(b, field, inp, out) for b in node.children], inp.whole())
    elif isinstance(node, ResidualNode):
        body = _through(node.body, field, inp, out)
        shortcut = field if node.project is None else _through(node.project, field, inp, out)
        result = merge([body, shortcut], inp.whole())
    else:  # a group, block or repeat: its children in sequence
        result = field
        for child in node.subnodes():
            result = _through(child, result, inp, out)
    out[node.path] = result
    return result


def _op(op: Op, in_shape: tuple[int, ...], field: Field, inp: _Input) -> Field:
    if field.whole:
        return field
    if len(in_shape) != 3 or isinstance(op, _MIXING):
        # Past a change of layout (tokens, channels last), the map's axes are no
        # longer height and width: count the rest as seeing the whole input.
        return inp.whole()
    if isinstance(op, Conv):
        (pad_h, _), (pad_w, _) = op.pads(in_shape)  # the padding before the data sets `left`
        kernel, stride = op.axes("kernel", in_shape), op.axes("stride", in_shape)
        return field.window(kernel, stride, (pad_h, pad_w), op.axes("dilation", in_shape))
    if isinstance(op, MaxPool | AvgPool):
        if op.kernel == "global":
            return inp.whole()
        kernel, stride = op.window(in_shape)
        dilation = op.axes("dilation", in_shape) if isinstance(op, MaxPool) else (1, 1)
        return field.window(kernel, stride, op.axes("padding", in_shape), dilation)
    if isinstance(op, AdaptiveAvgPool | AdaptiveMaxPool):
        size = op.axes("size", in_shape)
        if size == (1, 1):
            return inp.whole()
        hw = (in_shape[1], in_shape[2])
        kernel = (_largest_bin(hw[0], size[0]), _largest_bin(hw[1], size[1]))
        stride = (ceil(hw[0] / size[0]), ceil(hw[1] / size[1]))
        return field.window(kernel, stride, (0, 0))
    if isinstance(op, PadChannels):
        return field.window((1, 1), op.stride, (0, 0))
    return field


# Ops whose every output mixes the whole map, or that leave the image layout.
_MIXING = (
    Flatten,
    Linear,
    ConvTranspose,
    Upsample,
    Crop,
    Tokens,
    Permute,
    Reshape,
    MultiheadAttention,
    WindowAttention,
    PatchMerging,
)


def _largest_bin(size: int, out: int) -> int:
    """The widest window of adaptive pooling from `size` to `out` positions, as torch bins.

    Bin i spans [floor(i * size / out), ceil((i + 1) * size / out)); where `out`
    divides `size` this is a plain pool of kernel and stride size / out, and
    otherwise the widest bin and the rounded-up stride bound the field from above.
    """
    return max(-(-(i + 1) * size // out) - (i * size // out) for i in range(out))
