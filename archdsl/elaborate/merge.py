"""The shape rule of `concat`, `add` and `mul`, and the diagnostic when branches disagree."""

from __future__ import annotations

from archdsl.diagnostics import Diagnostic, Note
from archdsl.ops.shape_math import Shape, broadcast_shapes, fmt_hw, fmt_shape
from archdsl.syntax import ast


def merge_shapes(par: ast.Parallel, shapes: list[Shape]) -> tuple[Shape | None, Diagnostic | None]:
    """The merged output shape, or the diagnostic saying why the branches cannot merge."""
    notes = tuple(
        Note(f"branch {i + 1} gives {fmt_shape(s)}", b.span)
        for i, (s, b) in enumerate(zip(shapes, par.branches, strict=True))
    )
    first = shapes[0]
    if par.merge == "mul":
        return _broadcast(par, shapes, notes)
    if par.merge == "add":
        if all(s == first for s in shapes):
            return first, None
        return None, Diagnostic(
            "shape",
            "`add` needs every branch to give the same shape",
            par.keyword_span,
            notes=notes,
            help="use `concat` to stack channels, or match the branches' outputs",
        )
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        message = "`concat` branches give outputs of different ranks"
    elif len(first) == 1:
        return (sum(s[0] for s in shapes),), None
    elif all(s[1:] == first[1:] for s in shapes):
        return (sum(s[0] for s in shapes), *first[1:]), None
    else:
        sizes = ", ".join(
            f"branch {i + 1} gives {fmt_hw(*s[1:3])}" if len(s) == 3 else "?"
            for i, s in enumerate(shapes)
        )
        message = f"`concat` branches disagree on spatial size: {sizes}"
    return None, Diagnostic(
        "shape",
        message,
        par.keyword_span,
        notes=notes,
        help="concat joins channels; every branch must keep the same height and width",
    )


def _broadcast(
    par: ast.Parallel, shapes: list[Shape], notes: tuple[Note, ...]
) -> tuple[Shape | None, Diagnostic | None]:
    """`mul`'s rule: numpy broadcasting of the per-sample shapes, aligned from the right."""
    merged = shapes[0]
    for shape in shapes[1:]:
        wider = broadcast_shapes(merged, shape)
        if wider is None:
            return None, Diagnostic(
                "shape",
                "`mul` branches give shapes that do not broadcast",
                par.keyword_span,
                notes=notes,
                help="aligned from the right, each side must be equal or 1: [C, H, W] * [C, 1, 1]",
            )
        merged = wider
    return merged, None
