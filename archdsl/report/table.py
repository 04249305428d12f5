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
    activation_elements,
    human,
    human_bytes,
    layer_count,
    op_text,
    out_text,
    rows,
    value_label,
    value_shape,
)

if TYPE_CHECKING:
    from archdsl.analysis.receptive_field import Field

GAP = "  "
# (header, right-aligned?); the receptive-field columns appear only with --rf.
COLUMNS = (("Layer", False), ("Op", False), ("Output", False), ("Params", True), ("MACs", True))
RF_COLUMNS = (("RF", True), ("Jump", True))


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
    with_rf = fields is not None
    columns = COLUMNS[:3] + (RF_COLUMNS if with_rf else ()) + COLUMNS[3:]
    lines: list[tuple[str, list[str], bool]] = []
    collapsed = False
    # Layers with the same arguments share one op instance: each is worded once.
    op_texts: dict[int, str] = {}
    for row in rows(model, max_depth):
        collapsed |= row.collapsed
        node = row.node
        head, _, tail = node.path.rpartition(".")
        prefix = "  " * row.depth + (head + "." if head else "")
        op = op_texts.get(id(node.op)) if isinstance(node, OpNode) else None
        if op is None:
            op = op_text(node, model)
            if isinstance(node, OpNode) and not node.op.takes_values():
                op_texts[id(node.op)] = op
        if row.collapsed:
            op += " ..."
        cells = [prefix + tail, op, out_text(node, model)]
        if fields is not None:
            cells += rf_cells(fields.get(node.path))
        cells += [_count(node.params), _count(node.macs)]
        lines.append((prefix, cells, node.kind == "op"))
    widths = [len(header) for header, _ in columns]
    for i in range(len(columns)):
        widths[i] = max(widths[i], max((len(cells[i]) for _, cells, _ in lines), default=0))
    last = len(columns) - 1

    def cell(i: int, value: str) -> str:
        return value.rjust(widths[i]) if columns[i][1] else value.ljust(widths[i])

    out: list[Line] = [
        [
            *(
                (cell(i, header) + (GAP if i < last else ""), "bold")
                for i, (header, _) in enumerate(columns)
            ),
        ],
        [("-" * (sum(widths) + len(GAP) * last), "dim")],
    ]
    for prefix, cells, is_op in lines:
        line: Line = [
            (prefix, "dim"),
            (cell(0, cells[0])[len(prefix) :] + GAP, "" if is_op else "bold"),
            (cell(1, cells[1]) + GAP, "cyan" if is_op else "magenta"),
        ]
        line += [
            (cell(i, cells[i]) + (GAP if i < last else ""), "dim" if cells[i] == "-" else "")
            for i in range(2, len(cells))
        ]
        out.append(line)
    out.append([])
    acts = activation_elements(model)
    totals = [
        ("Model", f"{model.name}  ({source})"),
        *_ends("Input", model.inputs, model.input, model),
        *_ends("Output", model.outputs, model.output, model),
        ("Layers", f"{layer_count(model):,}"),
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
