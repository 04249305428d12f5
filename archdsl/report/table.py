"""The table `archdsl check` prints, styled with rich.

Columns are laid out here and the whole table goes to rich as one styled
Text: rich's own Table measures every cell again and takes about 15x longer,
which would dominate `check` on a deep network.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from archdsl.ir import Model
from archdsl.ops.shape_math import fmt_shape
from archdsl.report.summary import (
    BYTES_PER_ELEMENT,
    activation_elements,
    human,
    human_bytes,
    layer_count,
    rows,
)

GAP = "  "
HEADERS = ("Layer", "Op", "Output", "Params", "MACs")


def _count(n: int) -> str:
    return f"{n:,}" if n else "-"


def model_table(model: Model, max_depth: int | None, source: str) -> Text:
    cells: list[tuple[str, str, str, str, str, str, bool]] = []
    collapsed = False
    for row in rows(model, max_depth):
        collapsed |= row.collapsed
        node = row.node
        head, _, tail = node.path.rpartition(".")
        op = row.op + (" ..." if row.collapsed else "")
        prefix = "  " * row.depth + (head + "." if head else "")
        cells.append(
            (
                prefix,
                tail,
                op,
                fmt_shape(node.out_shape),
                _count(node.params),
                _count(node.macs),
                node.kind == "op",
            )
        )
    widths = [len(h) for h in HEADERS]
    for prefix, tail, op, shape, params, macs, _ in cells:
        for i, cell in enumerate((prefix + tail, op, shape, params, macs)):
            widths[i] = max(widths[i], len(cell))
    text = Text()
    for i, header in enumerate(HEADERS):
        cell = header.rjust(widths[i]) if i >= 3 else header.ljust(widths[i])
        text.append(cell + (GAP if i < 4 else "\n"), style="bold")
    text.append("-" * (sum(widths) + len(GAP) * 4) + "\n", style="dim")
    for prefix, tail, op, shape, params, macs, is_op in cells:
        text.append(prefix, style="dim")
        text.append(tail.ljust(widths[0] - len(prefix)) + GAP, style="" if is_op else "bold")
        text.append(op.ljust(widths[1]) + GAP, style="cyan" if is_op else "magenta")
        text.append(shape.ljust(widths[2]) + GAP)
        text.append(params.rjust(widths[3]) + GAP, style="dim" if params == "-" else "")
        text.append(macs.rjust(widths[4]) + "\n", style="dim" if macs == "-" else "")
    text.append("\n")
    acts = activation_elements(model)
    totals = [
        ("Model", f"{model.name}  ({source})"),
        ("Input", fmt_shape(model.input)),
        ("Output", fmt_shape(model.output)),
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


def print_model(console: Console, model: Model, max_depth: int | None, source: str) -> None:
    console.print(model_table(model, max_depth, source), soft_wrap=True)
