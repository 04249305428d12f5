"""A model's summary as an HTML table, for notebooks (`Model._repr_html_`)."""

from __future__ import annotations

from html import escape

from archdsl.ir import Model
from archdsl.ops.shape_math import fmt_shape
from archdsl.report.summary import human, layer_count, rows
from archdsl.report.table import COLUMNS

STYLE = "border-collapse: collapse; font-family: monospace; font-size: 90%"
RIGHT = ' style="text-align: right"'


def _count(n: int) -> str:
    return f"{n:,}" if n else "-"


def model_html(model: Model, max_depth: int | None = 2) -> str:
    """The rows `archdsl check` prints, nested rows indented, with the totals in a caption."""
    caption = (
        f"<b>{escape(model.name)}</b>: {escape(fmt_shape(model.input))} &rarr; "
        f"{escape(fmt_shape(model.output))}, {model.params:,} params ({human(model.params)}), "
        f"{model.macs:,} MACs ({human(model.macs)}), {layer_count(model):,} layers"
    )
    head = "".join(f"<th{RIGHT if right else ''}>{name}</th>" for name, right in COLUMNS)
    body = []
    for row in rows(model, max_depth):
        node = row.node
        indent = "&nbsp;" * 2 * row.depth
        op = escape(row.op) + (" &hellip;" if row.collapsed else "")
        body.append(
            f"<tr><td>{indent}{escape(node.path)}</td><td>{op}</td>"
            f"<td>{escape(fmt_shape(node.out_shape))}</td>"
            f"<td{RIGHT}>{_count(node.params)}</td><td{RIGHT}>{_count(node.macs)}</td></tr>"
        )
    return (
        f'<table style="{STYLE}"><caption style="text-align: left">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
