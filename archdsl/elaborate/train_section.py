"""A model's `train` section as data: values kept with the spans they came from.

What the keys mean is the trainer's business; here they only become plain
values (`sgd(lr=0.1)` becomes a CallValue) so `check` and the trainer see the
same thing and can point at any part of it.
"""

from __future__ import annotations

from archdsl.diagnostics import Diagnostic, Span
from archdsl.elaborate.expr import Env, evaluate
from archdsl.elaborate.values import Call, EvalError, Ref, Symbol, Value
from archdsl.ir import CallValue, ConfigValue, TrainEntry
from archdsl.syntax import ast


def convert(expr: ast.Expr, path: str, spans: dict[str, Span]) -> ConfigValue:
    """An expression as config data; `spans` gets the span of every part by path."""
    spans[path] = expr.span
    if isinstance(expr, ast.FuncCall):
        args: list[ConfigValue] = []
        kwargs: dict[str, ConfigValue] = {}
        for i, arg in enumerate(a for a in expr.args if a.name is None):
            args.append(convert(arg.value, f"{path}.{i}", spans))
        for arg in expr.args:
            if arg.name is not None:
                kwargs[arg.name] = convert(arg.value, f"{path}.{arg.name}", spans)
        return CallValue(name=expr.name, args=args, kwargs=kwargs)
    if isinstance(expr, ast.ListExpr):
        return [convert(item, f"{path}.{i}", spans) for i, item in enumerate(expr.items)]
    if isinstance(expr, ast.Name):
        return expr.id
    return _data(evaluate(expr, Env({}, has_shape=False, config=True)))


def _data(value: Value) -> ConfigValue:
    """A computed value as config data. Computation may yield any value, a call or
    a list included (`sgd(lr=0.1) if fast else adam()`); its parts share its span."""
    if isinstance(value, Symbol | Ref):  # train sections see no values; kept for the type
        return value.name
    if isinstance(value, tuple | list):
        return [_data(v) for v in value]
    if isinstance(value, Call):
        args = [_data(v) for v in value.args]
        kwargs = {k: _data(v) for k, v in value.kwargs}
        return CallValue(name=value.name, args=args, kwargs=kwargs)
    return value


def train_entries(section: ast.TrainDef) -> tuple[list[TrainEntry], list[Diagnostic]]:
    entries: list[TrainEntry] = []
    diags: list[Diagnostic] = []
    seen: set[str] = set()
    for item in section.items:
        if item.key in seen:
            diags.append(
                Diagnostic(
                    "duplicate", f"`{item.key}` is set twice in this train section", item.key_span
                )
            )
            continue
        seen.add(item.key)
        spans: dict[str, Span] = {}
        try:
            value = convert(item.value, item.key, spans)
        except EvalError as err:
            diags.append(err.diagnostic)
            continue
        entries.append(TrainEntry(key=item.key, value=value, span=item.span, spans=spans))
    return entries, diags
