"""Pure shape arithmetic shared by the ops, written to match torch exactly."""

from __future__ import annotations

import math

Shape = tuple[int, ...]


def window_out(
    size: int,
    kernel: int,
    stride: int,
    pad: int,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a sliding window (conv or pool) along one axis.

    Follows torch: in ceil mode the last window must start inside the input or
    the left padding, never wholly in the right padding.
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
        return out
    return span // stride + 1


def effective_kernel(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1) + 1


def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt_shape(shape: Shape) -> str:
    """`[N, 64, 56, 56]`: per-sample shape with the symbolic batch in front."""
    return "[" + ", ".join(["N", *map(str, shape)]) + "]"


def fmt_hw(h: int, w: int) -> str:
    return f"{h}x{w}"


# The batch axis in a full shape (batch first, then the per-sample shape).
BATCH = -1


def full_shape(shape: Shape, batched: bool) -> Shape:
    """The tensor's whole shape: the batch axis before a batched value's per-sample shape."""
    return (BATCH, *shape) if batched else shape


def broadcast_clash(shapes: list[Shape]) -> int | None:
    """The first axis, counted from the end (-1 is the last), where numpy's
    broadcasting of full shapes fails; None where they broadcast. The batch axis
    broadcasts against 1 only."""
    rank = max(len(s) for s in shapes)
    for axis in range(-rank, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            return axis
    return None


def broadcast(shapes: list[Shape]) -> Shape:
    """numpy's broadcast of full shapes that do not clash: right-aligned, 1 stretches."""
    rank = max(len(s) for s in shapes)
    out: list[int] = []
    for axis in range(-rank, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def fmt_full(shape: Shape) -> str:
    """A full shape, the batch axis shown as N: `[N, 64, 1, 1]` or `[1, 1, 768]`."""
    return "[" + ", ".join("N" if d == BATCH else str(d) for d in shape) + "]"


def broadcast_shapes(a: Shape, b: Shape) -> Shape | None:
    """numpy's broadcast of two shapes, right-aligned; None where they cannot broadcast.

    Aligned sides must be equal or one of them 1; the shorter shape is padded
    with 1s on the left.
    """
    return None if broadcast_clash([a, b]) is not None else broadcast([a, b])
