"""The table `archdsl check` prints, styled with rich.

Columns are laid out here and the whole table goes to rich as one styled
Text: rich's own Table measures every cell again and takes about 15x longer,
which would dominate `check` on a deep network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from archdsl.ir import Model
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
) -> Text:
    """The table of a model; with `fields`, receptive-field columns after the shape."""
    with_rf = fields is not None
    columns = COLUMNS[:3] + (RF_COLUMNS if with_rf else ()) + COLUMNS[3:]
    lines: list[tuple[str, list[str], bool]] = []
    collapsed = False
    for row in rows(model, max_depth):
        collapsed |= row.collapsed
        node = row.node
        head, _, tail = node.path.rpartition(".")
        prefix = "  " * row.depth + (head + "." if head else "")
        op = op_text(node, model) + (" ..." if row.collapsed else "")
        cells = [prefix + tail, op, out_text(node, model)]
        if fields is not None:
            cells += rf_cells(fields.get(node.path))
        cells += [_count(node.params), _count(node.macs)]
        lines.append((prefix, cells, node.kind == "op"))
    widths = [len(header) for header, _ in columns]
    for _, cells, _ in lines:
        widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
    last = len(columns) - 1

    def cell(i: int, value: str) -> str:
        padded = value.rjust(widths[i]) if columns[i][1] else value.ljust(widths[i])
        return padded + ("\n" if i == last else GAP)

    text = Text()
    for i, (header, _) in enumerate(columns):
        text.append(cell(i, header), style="bold")
    text.append("-" * (sum(widths) + len(GAP) * last) + "\n", style="dim")
    for prefix, cells, is_op in lines:
        text.append(prefix, style="dim")
        text.append(cell(0, cells[0])[len(prefix) :], style="" if is_op else "bold")
        text.append(cell(1, cells[1]), style="cyan" if is_op else "magenta")
        for i in range(2, len(cells)):
            text.append(cell(i, cells[i]), style="dim" if cells[i] == "-" else "")
    text.append("\n")
    acts = activation_elements(model)
    totals = [
        ("Model", f"{model.name}  ({source})"),
        *_ends("Input", model.inputs, model.input, model),
        *_ends("Output", model.outputs, model.output, model),
        ("Layers", f"{layer_count(model):,}"),
        ("Params", f"{model.params:,}  ({human(model.params)}, all trainable)"),
        ("Buffers", f"{model.buffers:,}  (batchnorm running statistics)"),
        ("MACs", f"{model.macs:,}  ({human(model.macs)} per sample)"),
        (
            "Activations",
            f"{acts:,} per sample  ({human_bytes(acts * BYTES_PER_ELEMENT)} at float32)",
        ),
    ]
    for key, value in totals:
        text.append(f"{key:<13}", style="bold")
        text.append(value + "\n")
    if collapsed:
        text.append(
            f"(rows below depth {max_depth} collapsed: --depth -1 shows all)\n", style="dim"
        )
    return text


def _ends(key: str, ids: list[str], first: tuple[int, ...], model: Model) -> list[tuple[str, str]]:
    """The Input or Output line; several, each named, for a model with several."""
    if len(ids) <= 1:
        return [(key, fmt_shape(first))]
    return [
        (f"{key} {i + 1}", f"{value_label(model, v)}  {value_shape(model, v)}")
        for i, v in enumerate(ids)
    ]


def print_model(
    console: Console,
    model: Model,
    max_depth: int | None,
    source: str,
    fields: dict[str, Field] | None = None,
) -> None:
    console.print(model_table(model, max_depth, source, fields), soft_wrap=True)
