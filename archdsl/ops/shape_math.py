"""Pure shape arithmetic shared by the ops, written to match torch exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence

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


def fmt_sides(sides: Sequence[int]) -> str:
    """`3x3x3`: a size along each spatial axis; one axis prints as its number."""
    return "x".join(map(str, sides))


def fmt_side(sides: Sequence[int]) -> str:
    """`2` where every axis has the same size, else `1x2`: a padding or stride."""
    return str(sides[0]) if len(set(sides)) == 1 else fmt_sides(sides)


def broadcast_shapes(a: Shape, b: Shape) -> Shape | None:
    """numpy's broadcast of two shapes, right-aligned; None where they cannot broadcast.

    Aligned sides must be equal or one of them 1; the shorter shape is padded
    with 1s on the left.
    """
    rank = max(len(a), len(b))
    left = (1,) * (rank - len(a)) + a
    right = (1,) * (rank - len(b)) + b
    out: list[int] = []
    for x, y in zip(left, right, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)
