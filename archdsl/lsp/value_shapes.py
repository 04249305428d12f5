"""The shapes a named value has in the checked IR.

A name is found in the IR by where it was made: the node of the step its
statement ends with (an assignment, a labelled chain), the model's input of
that name, the value flowing into each call of its block (`input x`), or the
value each call passes for a parameter. A block used several times may give
one name several shapes: each is listed once.
"""

from __future__ import annotations

from archdsl.diagnostics import Span
from archdsl.ir import BlockNode, Model, Node
from archdsl.lsp.analysis import Analysis, contains
from archdsl.lsp.scopes import Binding, Names
from archdsl.ops.registry import OPS
from archdsl.report.summary import value_shape
from archdsl.syntax import ast

MAX_HOPS = 64  # `y = x`, `z = y`, ...: a bound on following names to the value they name


def shapes(doc: Analysis, names: Names, binding: Binding, hops: int = 0) -> list[str]:
    """The distinct shapes of the value a binding names, first expansion first."""
    if doc.program is None or hops > MAX_HOPS:
        return []
    found: list[str] = []
    for shown in _shapes(doc, names, binding, hops):
        if shown not in found:
            found.append(shown)
    return found


def _shapes(doc: Analysis, names: Names, binding: Binding, hops: int) -> list[str]:
    stmt = binding.stmt
    if isinstance(stmt, ast.Assign):
        return _made_by(doc, names, stmt.chain.steps[-1], binding.index, hops)
    if isinstance(stmt, ast.Chain):
        return _made_by(doc, names, stmt.steps[-1], 0, hops)
    if isinstance(stmt, ast.NamedInput) and isinstance(binding.owner, ast.ModelDef):
        return [
            value_shape(model, f"@{binding.name}")
            for model in _models(doc)
            if model.name == binding.owner.name and f"@{binding.name}" in model.values
        ]
    if isinstance(stmt, ast.NamedInput):
        return [
            value_shape(model, node.inputs[0])
            for model, node in _calls_of(doc, binding.owner.name)
            if node.inputs
        ]
    if isinstance(stmt, ast.Param):
        return _passed(doc, names, binding, hops)
    return []


def _models(doc: Analysis) -> list[Model]:
    return doc.program.models if doc.program is not None else []


def _calls_of(doc: Analysis, block: str) -> list[tuple[Model, BlockNode]]:
    return [
        (model, node)
        for model, node in doc.nodes()
        if isinstance(node, BlockNode) and node.block == block
    ]


def _made_by(doc: Analysis, names: Names, step: ast.Step, index: int, hops: int) -> list[str]:
    """The shapes of the `index`-th value a step makes, in every expansion."""
    if isinstance(step, ast.Call) and value_step(doc, step):
        # A value's name as the last step: the value it names.
        occ = names.at(step.name_span.file, step.name_span.line, step.name_span.col)
        if occ is None or occ.binding is None:
            return []
        return shapes(doc, names, occ.binding, hops + 1)
    return [
        value_shape(model, node.outputs[index])
        for model, node in _last_nodes(doc, step.span)
        if index < len(node.outputs) and node.outputs[index] in model.values
    ]


def value_step(doc: Analysis, call: ast.Call) -> bool:
    """Whether a call is a value's name written as a step (neither an op nor a block)."""
    return call.name not in OPS and doc.block(call.name) is None


def _last_nodes(doc: Analysis, span: Span) -> list[tuple[Model, Node]]:
    """The nodes that make a step's value: those of the step itself, or, where the
    step left no node of its own (a `{ }` group, an `if`), the last step inside it."""
    own = [(m, n) for m, n in doc.nodes_spanning(span) if doc.here(n.span)]
    if own:
        return own
    inner = [
        (model, node)
        for model, node in doc.nodes()
        if doc.here(node.span)
        and contains(span, node.span.line, node.span.col)
        and contains(span, node.span.end_line, node.span.end_col)
    ]
    if not inner:
        return []
    last = max((n.span for _, n in inner), key=lambda s: (s.end_line, s.end_col, -s.line, -s.col))
    return [(model, node) for model, node in inner if node.span == last]


def _passed(doc: Analysis, names: Names, binding: Binding, hops: int) -> list[str]:
    """The shapes of the values calls of the block pass for a parameter, where those
    calls are in a file the document knows."""
    param = binding.stmt
    assert isinstance(param, ast.Param) and isinstance(binding.owner, ast.BlockDef)
    position = [p.name for p in binding.owner.params].index(param.name)
    found: list[str] = []
    for call in names.calls:
        if call.name != binding.owner.name:
            continue
        given = [a for a in call.args if a.name == param.name]
        if not given and position < len(call.args) and call.args[position].name is None:
            given = [call.args[position]]
        if not given or not isinstance(given[0].value, ast.Name):
            continue
        span = given[0].value.span
        occ = names.at(span.file, span.line, span.col)
        if occ is not None and occ.binding is not None:
            found += shapes(doc, names, occ.binding, hops + 1)
    return found


def passed_arguments(doc: Analysis, binding: Binding) -> list[str]:
    """What the calls in the IR give a block's parameter, each distinct one once: a
    number as written, a value by its name."""
    from archdsl.elaborate.values import show

    found: list[str] = []
    for _, node in _calls_of(doc, binding.owner.name):
        given = node.args.get(binding.name)
        if given is None:
            continue
        shown = given if isinstance(given, str) else show(given)
        if shown not in found:
            found.append(shown)
    return found
