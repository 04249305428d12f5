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

In a graph of named values every value has its field, carried along each path
from the image inputs; a merge of named values (`add(a, b)`, `concat`, ...)
takes the span of its inputs' fields, so a long skip counts with its own,
smaller field and the deepest path sets the size. The field is not defined
for a learned tensor (`param`: the same for every sample), for values that are
not images and do not see the whole input (tokens, sequences), and for values
computed from no image input; `undefined` says which, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from archdsl.ir import Model, Node, OpNode, ParallelNode, ResidualNode
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
    """The field at the output of every node, by node path (a node whose output has
    none is left out); None for models whose first input is not an image."""
    if len(model.input) != 3:
        return None
    return _Fields(model).paths


def undefined(model: Model) -> dict[str, str]:
    """Named values (and a model's unnamed outputs) without a field, each with the reason;
    empty for a model with no image input."""
    if len(model.input) != 3:
        return {}
    reasons = _Fields(model).reasons
    shown: dict[str, str] = {}
    for vid, reason in reasons.items():
        value = model.values[vid]
        if value.name is not None or vid in model.outputs:
            shown.setdefault(value.name or vid, reason)
    return shown


class _Fields:
    """The fields of every value and node of a model, computed once."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.inp = _Input((model.input[1], model.input[2]))
        self.values: dict[str, Field | None] = {}
        self.reasons: dict[str, str] = {}
        for vid in model.inputs:
            if len(model.values[vid].shape) == 3:
                self.values[vid] = self.inp.start()
            else:
                self._none(vid, "not an image")
        self.paths: dict[str, Field] = {}
        self.through(model.root, self.inp.start())

    def _none(self, vid: str, reason: str) -> None:
        self.values[vid] = None
        self.reasons[vid] = reason

    def read(self, vid: str) -> Field | None:
        return self.values.get(vid)

    def through(self, node: Node, field: Field | None) -> Field | None:
        """The field after `node` (fed `field` where the IR lists no values), recording
        it and the fields of everything inside it."""
        result: Field | None
        if isinstance(node, OpNode):
            result = self.op(node, field)
        elif isinstance(node, ParallelNode):
            result = self.merge([self.through(b, field) for b in node.children])
        elif isinstance(node, ResidualNode):
            body = self.through(node.body, field)
            if node.project is not None:
                shortcut = self.through(node.project, field)
            else:
                shortcut = self.read(node.inputs[0]) if node.inputs else field
            result = self.merge([body, shortcut])
        else:  # a group, block or repeat: its children, in sequence or as their values say
            result = field
            for child in node.subnodes():
                result = self.through(child, result)
            if node.outputs:
                result = self.read(node.outputs[0])
        if node.outputs and not isinstance(node, OpNode):
            self.values.setdefault(node.outputs[0], result)
        if result is not None:
            self.paths[node.path] = result
        return result

    def op(self, node: OpNode, field: Field | None) -> Field | None:
        if not node.outputs:  # IR written before values: one chain
            return _op(node.op, node.in_shape, field, self.inp) if field else None
        ins = [self.read(v) for v in node.inputs]
        known = [f for f in ins if f is not None]
        first = node.outputs[0]
        if not node.inputs:
            self._none(first, "a learned tensor, the same for every sample")
        elif not known:
            self._none(first, self.reasons.get(node.inputs[0], "not computed from an image"))
        else:
            result = merge(known, self.inp.whole()) if len(node.inputs) > 1 else known[0]
            if len(node.inputs) == 1:
                result = _op(node.op, node.in_shape, result, self.inp)
            shape = self.model.values[first].shape
            if len(shape) != 3 and not result.whole:
                self._none(first, f"a {len(shape)}-axis value, not an image")
            else:
                self.values[first] = result
        for other in node.outputs[1:]:  # chunk, split: parts of the same positions
            self.values[other] = self.values[first]
            if first in self.reasons:
                self.reasons[other] = self.reasons[first]
        return self.values[first]

    def merge(self, fields: list[Field | None]) -> Field | None:
        known = [f for f in fields if f is not None]
        return merge(known, self.inp.whole()) if known else None


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
