"""Named values in the editor: hover over a name shows its shape and where it was
made; completion offers the names visible at the cursor; document symbols and
inlay hints list them."""

from __future__ import annotations

from archdsl.lsp.analysis import Analysis, Completion, Symbol
from archdsl.lsp.scopes import Binding
from archdsl.lsp.value_shapes import passed_arguments, shapes, value_step
from archdsl.syntax import ast

WHAT = {
    "value": "value",
    "label": "labelled value",
    "input": "input",
    "param": "parameter",
    "let": "number",
    "index": "repeat index",
}


def value_hover(doc: Analysis, line: int, col: int) -> str | None:
    """Markdown for a name under the cursor: what it names, its shape, where it is made.
    None on a label where it is given: the step it labels is shown instead."""
    names = doc.names()
    occ = names.at(doc.name, line, col)
    if occ is None or occ.binding is None:
        return None
    binding = occ.binding
    if occ.role == "def" and binding.kind == "label":
        return None
    found = shapes(doc, names, binding)
    head = f"**{binding.name}** ({_what(binding)})"
    if len(found) == 1:
        head += f" `{found[0]}`"
    lines = [head, ""]
    if len(found) > 1:
        lines += [f"- `{shape}`" for shape in found] + [""]
    if binding.kind == "param":
        given = passed_arguments(doc, binding)
        if given:
            lines += ["calls pass " + ", ".join(f"`{g}`" for g in given), ""]
    lines.append(f"{_made(binding)} at line {binding.span.line}: `{_source_line(doc, binding)}`")
    return "\n".join(lines)


def _what(binding: Binding) -> str:
    owner = binding.owner
    if binding.kind == "input" and isinstance(owner, ast.BlockDef):
        return f"the value flowing into block `{owner.name}`"
    where = "block" if isinstance(owner, ast.BlockDef) else "model"
    return f"{WHAT[binding.kind]} of {where} `{owner.name}`"


def _made(binding: Binding) -> str:
    return "made" if binding.kind in ("value", "label") else "defined"


def _source_line(doc: Analysis, binding: Binding) -> str:
    lines = doc.text_of(binding.span.file).split("\n")
    line = lines[binding.span.line - 1] if binding.span.line <= len(lines) else ""
    return line.split("#", 1)[0].strip()


def value_completions(doc: Analysis, line: int, col: int) -> list[Completion]:
    """The names visible at the cursor, each with its shape (or what it is)."""
    names = doc.names()
    items = []
    for binding in names.visible(doc.name, line, col):
        found = shapes(doc, names, binding)
        detail = found[0] if len(found) == 1 else _what(binding)
        items.append(Completion(binding.name, "value", detail, binding.name))
    return items


def value_symbols(doc: Analysis, owner: ast.BlockDef | ast.ModelDef) -> list[Symbol]:
    """A model's or block's named values and inputs (labels are listed as labels)."""
    return [
        Symbol(b.name, "value", b.span, b.span)
        for b in doc.names().bindings
        if b.owner is owner and b.kind in ("value", "input")
    ]


def value_hints(doc: Analysis) -> list[tuple[int, int, str]]:
    """(line, column, text): the shape after each name of `a, b = ...`, of `y = x` and of
    a block's `input x`, where the line's own hint (its last step's shape) would not
    tell it."""
    names = doc.names()
    hints = []
    for b in names.bindings:
        if b.span.file != doc.name:
            continue
        several = isinstance(b.stmt, ast.Assign) and len(b.stmt.names) > 1
        block_input = b.kind == "input" and isinstance(b.owner, ast.BlockDef)
        if several or block_input or _renames(doc, b):
            found = shapes(doc, names, b)
            if len(found) == 1:
                hints.append((b.span.end_line, b.span.end_col, f": {found[0]}"))
    return hints


def _renames(doc: Analysis, binding: Binding) -> bool:
    """Whether a binding is `y = x`: a value's name alone, which makes no node."""
    stmt = binding.stmt
    if not isinstance(stmt, ast.Assign) or len(stmt.chain.steps) != 1:
        return False
    step = stmt.chain.steps[0]
    return isinstance(step, ast.Call) and not step.args and value_step(doc, step)
