"""`archdsl diff` as a styled table or as JSON."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from archdsl.analysis.diff import Entry, ModelDiff
from archdsl.ir import Model, Node, describe
from archdsl.ops.shape_math import fmt_shape

MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
HEADERS = ("", "Layer", "Change", "Output", "Params", "MACs")
GAP = "  "


def signed(n: int) -> str:
    return f"{n:+,}" if n else "-"


def _change(entry: Entry) -> tuple[str, str]:
    """The Change and Output cells: one side, or `A -> B` where the two differ."""
    a, b = entry.a, entry.b
    if a is None or b is None:
        node = a if a is not None else b
        assert node is not None
        return describe(node), fmt_shape(node.out_shape)
    call = describe(b) if describe(a) == describe(b) else f"{describe(a)} -> {describe(b)}"
    if a.in_shape != b.in_shape:  # what changes a layer that is written the same
        call += f"  (input {fmt_shape(a.in_shape)} -> {fmt_shape(b.in_shape)})"
    if "reads" in entry.differs:  # a value connection moved
        before, after = (", ".join(r) for r in entry.reads)
        call += f"  (reads {before} -> {after})"
    if a.out_shape == b.out_shape:
        return call, fmt_shape(b.out_shape)
    return call, f"{fmt_shape(a.out_shape)} -> {fmt_shape(b.out_shape)}"


def _rows(diff: ModelDiff) -> list[tuple[Entry, bool]]:
    """Every row in order, each marked True where it is a top-level step."""
    rows: list[tuple[Entry, bool]] = []
    for step in diff.steps:
        rows.append((step.entry, True))
        rows += [(entry, False) for entry in step.details]
    return rows


def diff_text(diff: ModelDiff, source_a: str, source_b: str) -> Text:
    a, b = diff.a, diff.b
    text = Text()
    text.append(f"{a.name}", style="bold red")
    text.append(f" ({source_a})  ->  ")
    text.append(f"{b.name}", style="bold green")
    text.append(f" ({source_b})\n\n")
    rows = _rows(diff)
    if rows:
        cells = []
        for entry, top in rows:
            change, output = _change(entry)
            indent = "" if top else "  "
            cells.append(
                (
                    MARKS[entry.status][0],
                    indent + entry.path,
                    change,
                    output,
                    signed(entry.params_delta),
                    signed(entry.macs_delta),
                )
            )
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]
        for i, header in enumerate(HEADERS):
            text.append(_cell(header, i, widths), style="bold")
        text.append("-" * (sum(widths) + len(GAP) * (len(HEADERS) - 1)) + "\n", style="dim")
        for (entry, top), row in zip(rows, cells, strict=True):
            style = MARKS[entry.status][1]
            for i, value in enumerate(row):
                cell_style = style if i < 2 else ("dim" if value == "-" else "")
                if top and i in (1, 2):
                    cell_style += " bold"
                text.append(_cell(value, i, widths), style=cell_style.strip())
        text.append("\n")
    _totals(text, a, b)
    counts = diff.counts()
    if diff.identical:
        text.append("The models are identical: same layers, shapes, parameters and MACs.\n")
    else:
        text.append(
            f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed "
            f"in {len(diff.steps)} of {len(b.root.children)} top-level steps\n"
        )
    return text


def _cell(value: str, i: int, widths: list[int]) -> str:
    padded = value.rjust(widths[i]) if i >= 4 else value.ljust(widths[i])
    return padded + ("\n" if i == len(widths) - 1 else GAP)


def _percent(old: int, new: int) -> str:
    return f"{(new - old) / old:+.1%}" if old else "-"


def _totals(text: Text, a: Model, b: Model) -> None:
    rows = [
        ("", "Params", "MACs"),
        (a.name, f"{a.params:,}", f"{a.macs:,}"),
        (b.name, f"{b.params:,}", f"{b.macs:,}"),
        ("difference", f"{b.params - a.params:+,}", f"{b.macs - a.macs:+,}"),
        ("", _percent(a.params, b.params), _percent(a.macs, b.macs)),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for n, row in enumerate(rows):
        line = GAP.join([row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2])])
        text.append(line + "\n", style="bold" if n in (0, 3) else "dim" if n == 4 else "")
    if a.input != b.input:
        text.append(f"input: {fmt_shape(a.input)} -> {fmt_shape(b.input)}\n", style="yellow")
    text.append("\n")


def _side(node: Node | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return {
        "path": node.path,
        "kind": node.kind,
        "summary": describe(node),
        "in_shape": list(node.in_shape),
        "out_shape": list(node.out_shape),
        "params": node.params,
        "macs": node.macs,
    }


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "status": entry.status,
        "path": entry.path,
        "depth": entry.depth,
        "differs": list(entry.differs),
        **({"reads": [list(r) for r in entry.reads]} if "reads" in entry.differs else {}),
        "params_diff": entry.params_delta,
        "macs_diff": entry.macs_delta,
        "a": _side(entry.a),
        "b": _side(entry.b),
    }


def _model(model: Model, source: str) -> dict[str, Any]:
    return {
        "model": model.name,
        "file": source,
        "input": list(model.input),
        "output": list(model.output),
        "params": model.params,
        "macs": model.macs,
    }


def diff_json(diff: ModelDiff, source_a: str, source_b: str) -> dict[str, Any]:
    return {
        "a": _model(diff.a, source_a),
        "b": _model(diff.b, source_b),
        "identical": diff.identical,
        "params_diff": diff.b.params - diff.a.params,
        "macs_diff": diff.b.macs - diff.a.macs,
        "counts": diff.counts(),
        "steps": [
            {**_entry(step.entry), "details": [_entry(e) for e in step.details]}
            for step in diff.steps
        ],
    }
