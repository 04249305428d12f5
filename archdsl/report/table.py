"""The table `archdsl check` prints, as lines of (text, style) segments.

Columns are laid out here and written by `cli/terminal.py` in one string:
rich's own Table measures every cell again and took about 15x longer, and
even one rich Text of the whole table grew superlinearly with its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archdsl.diagnostics.render import Line
from archdsl.ir import Model, OpNode
from archdsl.ops.shape_math import fmt_hw, fmt_shape
from archdsl.report.summary import (
    BYTES_PER_ELEMENT,
    human,
    human_bytes,
    op_text,
    out_text,
    rows,
    tally,
    value_label,
    value_shape,
)

if TYPE_CHECKING:
    from archdsl.analysis.receptive_field import Field

GAP = "  "
# (header, right-aligned?); the receptive-field columns appear only with --rf.
COLUMNS = (("Layer", False), ("Op", False), ("Output", False), ("Params", True), ("MACs", True))
RF_COLUMNS = (("RF", True), ("Jump", True))


# A row after its name: whether it is an op, its op, output and RF cells, params, MACs.
Rest = tuple[bool, tuple[str, ...], int, int]


def _cells(rest: Rest) -> list[str]:
    """The cells of a row after its name, as written."""
    _, texts, params, macs = rest
    return [*texts, _count(params), _count(macs)]


def _count(n: int) -> str:
    return f"{n:,}" if n else "-"


def _pair(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else fmt_hw(*pair)


def rf_cells(field: Field | None) -> tuple[str, str]:
    """The RF and Jump cells of a row: `427` and `32`, `all` once the whole input is seen."""
    if field is None:
        return "-", "-"
    if field.whole:
        return "all", "-"
    return _pair(field.size), _pair(field.jump)


def model_table(
    model: Model, max_depth: int | None, source: str, fields: dict[str, Field] | None = None
) -> list[Line]:
    """The table of a model; with `fields`, receptive-field columns after the shape."""
    columns = COLUMNS[:3] + (RF_COLUMNS if fields is not None else ()) + COLUMNS[3:]
    # Rows differ in their names, but the rest of a row (op, shape, counts) repeats:
    # 20,000 layers have a handful of distinct ones. Each distinct rest is measured
    # and laid out once; a row only pads its name.
    named: list[tuple[str, str, int]] = []  # indent and path prefix, last name, rest's number
    rests: dict[Rest, int] = {}  # each distinct rest, numbered
    name_width = len(columns[0][0])
    collapsed = False
    op_texts: dict[int, str] = {}  # layers with the same arguments share one op instance
    for node, depth, hidden in rows(model, max_depth):
        collapsed |= hidden
        head, _, tail = node.path.rpartition(".")
        prefix = "  " * depth + (head + "." if head else "")
        if len(prefix) + len(tail) > name_width:
            name_width = len(prefix) + len(tail)
        is_op = isinstance(node, OpNode)
        op = op_texts.get(id(node.op)) if isinstance(node, OpNode) else None
        if op is None:
            op = op_text(node, model)
            if isinstance(node, OpNode) and not node.op.takes_values():
                op_texts[id(node.op)] = op
        if hidden:
            op += " ..."
        texts: tuple[str, ...] = (op, out_text(node, model))
        if fields is not None:
            texts += rf_cells(fields.get(node.path))
        rest = (is_op, texts, node.params, node.macs)
        named.append((prefix, tail, rests.setdefault(rest, len(rests))))
    cells = [_cells(rest) for rest in rests]
    widths = [name_width] + [
        max([len(header)] + [len(c[i]) for c in cells]) for i, (header, _) in enumerate(columns[1:])
    ]
    last = len(columns) - 1

    def cell(i: int, value: str) -> str:
        padded = value.rjust(widths[i]) if columns[i][1] else value.ljust(widths[i])
        return padded + (GAP if i < last else "")

    # Per distinct rest: the style of the row's name, and the segments after it.
    laid = [
        (
            "" if is_op else "bold",
            [(cell(1, c[0]), "cyan" if is_op else "magenta")]
            + [(cell(i, v), "dim" if v == "-" else "") for i, v in enumerate(c[1:], 2)],
        )
        for (is_op, *_), c in zip(rests, cells, strict=True)
    ]
    out: list[Line] = [
        [(cell(i, header), "bold") for i, (header, _) in enumerate(columns)],
        [("-" * (sum(widths) + len(GAP) * last), "dim")],
    ]
    for prefix, tail, number in named:
        style, segments = laid[number]
        out.append(
            [(prefix, "dim"), (tail.ljust(name_width - len(prefix)) + GAP, style), *segments]
        )
    out.append([])
    layers, acts = tally(model)
    totals = [
        ("Model", f"{model.name}  ({source})"),
        *_ends("Input", model.inputs, model.input, model),
        *_ends("Output", model.outputs, model.output, model),
        ("Layers", f"{layers:,}"),
        ("Params", f"{model.params:,}  ({human(model.params)}, all trainable)"),
        ("Buffers", f"{model.buffers:,}  (state not learnt, e.g. batchnorm statistics)"),
        ("MACs", f"{model.macs:,}  ({human(model.macs)} per sample)"),
        *_attention_line(model),
        (
            "Activations",
            f"{acts:,} per sample  ({human_bytes(acts * BYTES_PER_ELEMENT)} at float32)",
        ),
    ]
    out += [[(f"{key:<13}", "bold"), (value, "")] for key, value in totals]
    if collapsed:
        out.append([(f"(rows below depth {max_depth} collapsed: --depth -1 shows all)", "dim")])
    out.append([])  # a blank line after each model's table
    return out


def table_text(model: Model, max_depth: int | None, source: str) -> str:
    """The table as plain text, without the blank line that follows it on a terminal."""
    lines = model_table(model, max_depth, source)[:-1]
    return "".join("".join(text for text, _ in line) + "\n" for line in lines)


def _ends(key: str, ids: list[str], first: tuple[int, ...], model: Model) -> list[tuple[str, str]]:
    """The Input or Output line; several, each named, for a model with several."""
    if len(ids) <= 1:
        return [(key, fmt_shape(first))]
    return [
        (f"{key} {i + 1}", f"{value_label(model, v)}  {value_shape(model, v)}")
        for i, v in enumerate(ids)
    ]


def _attention_line(model: Model) -> list[tuple[str, str]]:
    """The attention's share of the MACs, for a model that attends at all."""
    share = model.attention_macs
    if not share:
        return []
    percent = 100 * share / model.macs
    return [("Attention", f"{share:,} MACs  ({percent:.1f}%, in q·kᵀ and attn·v)")]
