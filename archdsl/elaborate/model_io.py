"""A model's inputs (`input [3, 32, 32]`, or several `input image: [...]`) as values."""

from __future__ import annotations

from archdsl.diagnostics import Diagnostic, Note
from archdsl.elaborate.elaborator import Elaborator
from archdsl.elaborate.expr import Env, evaluate, require
from archdsl.elaborate.values import EvalError, Ref, Symbol, Value, show
from archdsl.ir import Value as Tensor
from archdsl.ops.shape_math import Shape
from archdsl.syntax import ast


def model_inputs(
    mdef: ast.ModelDef, elab: Elaborator, scope: dict[str, Value]
) -> tuple[list[Tensor], bool, list[Diagnostic]]:
    """The model's input values in order, named ones bound in `scope`; whether all are
    known; and what is wrong with them."""
    stmts = mdef.body.stmts
    unnamed = [s for s in stmts if isinstance(s, ast.InputStmt)]
    named = [s for s in stmts if isinstance(s, ast.NamedInput)]
    diags: list[Diagnostic] = []
    for extra in unnamed[1:]:
        diags.append(Diagnostic("duplicate", "a model has one `input`", extra.span))
    if not unnamed and not named:
        diags.append(
            Diagnostic(
                "input",
                f"model `{mdef.name}` has no `input`",
                mdef.name_span,
                help="state the per-sample input shape, e.g. `input [3, 32, 32]`",
            )
        )
        return [], False, diags
    if unnamed and named:
        diags.append(
            Diagnostic(
                "input",
                "a model with several inputs names each of them",
                unnamed[0].span,
                help="write `input NAME: [...]`, e.g. `input image: [3, 224, 224]`",
            )
        )
        return [], False, diags
    values: list[Tensor] = []
    ok = True
    if unnamed:
        shape, problem = input_shape(unnamed[0].shape)
        if problem is not None:
            return [], False, [*diags, problem]
        assert shape is not None
        values.append(elab.make_value("@input", shape, unnamed[0].span))
        return values, ok, diags
    seen: dict[str, ast.NamedInput] = {}
    for stmt in named:
        if stmt.name in seen:
            diags.append(
                Diagnostic(
                    "duplicate",
                    f"input `{stmt.name}` is named twice",
                    stmt.name_span,
                    notes=(Note("first named", seen[stmt.name].name_span),),
                )
            )
            ok = False
            continue
        seen[stmt.name] = stmt
        shape, problem = (None, None)
        if stmt.shape is None:
            problem = Diagnostic(
                "input",
                f"input `{stmt.name}` needs its per-sample shape",
                stmt.span,
                help=f"e.g. `input {stmt.name}: [3, 32, 32]`",
            )
        else:
            shape, problem = input_shape(stmt.shape)
        if problem is not None or shape is None:
            diags += [problem] if problem is not None else []
            elab.names.give(scope, Ref(stmt.name, None, stmt.name_span), "an input of the model")
            ok = False
            continue
        value = elab.make_value(f"@{stmt.name}", shape, stmt.span)
        value.name = stmt.name
        values.append(value)
        elab.names.give(scope, Ref(stmt.name, value, stmt.name_span), "an input of the model")
    return values, ok, diags


def input_shape(expr: ast.Expr) -> tuple[Shape | None, Diagnostic | None]:
    env = Env({}, has_shape=False)
    try:
        value = evaluate(expr, env)
        dims = value if isinstance(value, list) else [value]
        for dim in dims:  # a bare word in the shape is an unknown name, said as such
            require(dim, expr.span, env)
    except EvalError as err:
        return None, err.diagnostic
    ok = all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims)
    if ok and 1 <= len(dims) <= 4:
        return tuple(dims), None
    shown = show(value) if not isinstance(value, Symbol) else value.name
    return None, Diagnostic(
        "input",
        "`input` must be 1 to 4 positive whole numbers: [features], [channels, length], "
        f"[channels, height, width] or [channels, depth, height, width], got {shown}",
        expr.span,
        help="e.g. `input [3, 32, 32]` for CIFAR-10 or `input [64]` for 64 features",
    )
