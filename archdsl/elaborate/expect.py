"""`expect` lines: what the author believes the model costs, held against the IR."""

from __future__ import annotations

from archdsl.diagnostics import Diagnostic
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.elaborate.expr import Env, evaluate, require
from archdsl.elaborate.values import EvalError, show
from archdsl.ir import GroupNode
from archdsl.ops.shape_math import fmt_shape
from archdsl.syntax import ast

KEYS = ("params", "buffers", "macs", "output")


def check_expect(stmt: ast.ExpectStmt, root: GroupNode) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    actual = {
        "params": root.params,
        "buffers": root.buffers,
        "macs": root.macs,
        "output": list(root.out_shape),
    }
    for item in stmt.items:
        if item.key not in KEYS:
            diags.append(
                Diagnostic(
                    "unknown-name",
                    f"`expect` has no key `{item.key}`",
                    item.key_span,
                    help=did_you_mean(item.key, KEYS) or f"the keys are {', '.join(KEYS)}",
                )
            )
            continue
        try:
            env = Env({}, has_shape=False)
            want = require(evaluate(item.value, env), item.value.span, env)
        except EvalError as err:
            diags.append(err.diagnostic)
            continue
        have = actual[item.key]
        if want == have:
            continue
        if item.key == "output":
            got = fmt_shape(tuple(have))  # type: ignore[arg-type]
            message = f"expected output {show(want)}, but the model gives {got}"
        else:
            assert isinstance(have, int)
            diff = (
                f" ({have - want:+,})"
                if isinstance(want, int) and not isinstance(want, bool)
                else ""
            )
            wanted = f"{want:,}" if diff else show(want)  # grouped like the count beside it
            message = f"expected {item.key} = {wanted}, but the model has {have:,}{diff}"
        diags.append(
            Diagnostic(
                "expect",
                message,
                item.span,
                help="fix the model, or the expectation if the model is right",
            )
        )
    return diags
