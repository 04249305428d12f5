"""Find the Python expression over a class's parameters that gives a value in every call.

A value the same in every call is a literal, unless a parameter holds it and
plausibly is it (its name fits the argument, or it varies as the value does).
Otherwise the simplest formula that fits every call: a parameter, a parameter
times, divided by, plus or minus a constant, the product of two parameters, or
one plus a small multiple of another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archdsl.export.eject.template import ADD, MUL, Expr, literal, name
from archdsl.export.eject.tree import Value, canonical, same

Env = dict[str, Any]


class CannotUnify(Exception):
    """The calls differ in a way one class cannot express."""


# Arguments that are channel or feature counts: where a block parameter of the
# same value most likely is the value. A constant kernel or stride is left a literal.
_INPUT_WIDTHS = frozenset({"in_channels", "in_features", "num_features", "num_channels"})
_WIDTHS = _INPUT_WIDTHS | {"out_channels", "out_features", "normalized_shape"}
# Parameters that size windows, not widths: never taken for a factor of a width.
_GEOMETRY = frozenset({"kernel", "stride", "padding", "dilation", "groups", "size"})


def _is_int(v: Value) -> bool:
    return type(v) is int


def _fits(hint: str, param: str) -> bool:
    if hint == param:
        return True
    return len(param) >= 3 and (param in hint or hint in param)


def _trivial(v: Value) -> bool:
    return isinstance(v, bool) or v in (0, 1, None)


def express(
    values: Sequence[Value], envs: Sequence[Env], hint: str, spec: Expr | None = None
) -> Expr:
    """The expression for `values`, one per call; `spec`, the spec's own, first if it fits."""
    if spec is not None and gives(spec, envs, values):
        return spec
    constant = all(same(values[0], v) for v in values)
    params = list(envs[0]) if envs else []
    matches = [p for p in params if all(same(e[p], v) for e, v in zip(envs, values, strict=True))]
    if matches:
        fitting = [p for p in matches if _fits(hint, p)]
        if fitting:
            return name(fitting[0])
        if not constant or (hint in _WIDTHS and not _trivial(values[0])):
            # The block's own arguments before its input width, except for an input slot.
            inputs = [p for p in matches if p.startswith("in_")]
            others = [p for p in matches if not p.startswith("in_")]
            if hint in _INPUT_WIDTHS:
                ordered = inputs + others
            else:
                # A constant width equal to the input's is more likely a coincidence.
                ordered = others + inputs if not constant else others
            if ordered:
                return name(ordered[0])
    if constant:
        return literal(values[0])
    if all(_is_int(v) for v in values):
        found = _arithmetic([int(v) for v in values], envs, params)
        if found is not None:
            return found
    raise CannotUnify(f"no expression gives {list(values)}")


def _arithmetic(values: list[int], envs: Sequence[Env], params: list[str]) -> Expr | None:
    ints = [p for p in params if all(_is_int(e[p]) for e in envs)]
    ints = [p for p in ints if not p.startswith("in_")] + [p for p in ints if p.startswith("in_")]
    for p in ints:
        xs = [int(e[p]) for e in envs]
        if all(x != 0 for x in xs) and all(v % x == 0 for v, x in zip(values, xs, strict=True)):
            ratios = {v // x for v, x in zip(values, xs, strict=True)}
            if len(ratios) == 1 and (k := ratios.pop()) > 1:
                # A parameter that is the factor in every call most likely is the factor.
                for q in ints:
                    if q != p and q not in _GEOMETRY and all(int(e[q]) == k for e in envs):
                        return _product(p, q)
                return Expr(f"{p} * {k}", MUL, frozenset({p}))
        for k in range(2, 9):
            if all(x // k == v for v, x in zip(values, xs, strict=True)):
                return Expr(f"{p} // {k}", MUL, frozenset({p}))
        diffs = {v - x for v, x in zip(values, xs, strict=True)}
        if len(diffs) == 1 and (d := diffs.pop()) != 0:
            code = f"{p} + {d}" if d > 0 else f"{p} - {-d}"
            return Expr(code, ADD, frozenset({p}))
    for i, p in enumerate(ints):
        for q in ints[i + 1 :]:
            if all(int(e[p]) * int(e[q]) == v for e, v in zip(envs, values, strict=True)):
                return _product(p, q)
    # Widths that grow by a parameter's worth, as concatenations and padding make them.
    for p in ints:
        for q in ints:
            for k in (1, 2, 3, 4):
                if p != q and all(
                    int(e[p]) + k * int(e[q]) == v for e, v in zip(envs, values, strict=True)
                ):
                    times = f" * {k}" if k > 1 else ""
                    return Expr(f"{p} + {q}{times}", ADD, frozenset({p, q}))
    return None


def _product(p: str, q: str) -> Expr:
    """`in_channels * expand`: the input width first, as one says it."""
    first, second = (q, p) if q.startswith("in_") else (p, q)
    return Expr(f"{first} * {second}", MUL, frozenset({p, q}))


# What an expression may call: the spec's functions that Python has too.
_BUILTINS = {"min": min, "max": max, "abs": abs, "round": round, "int": int, "float": float}


def _evaluate(expr: Expr, env: Env) -> Any:
    return eval(expr.code, {"__builtins__": _BUILTINS}, dict(env))  # our own code only


def gives(expr: Expr, envs: Sequence[Env], values: Sequence[Value]) -> bool:
    """Whether `expr` evaluates to each call's value in that call."""
    for env, want in zip(envs, values, strict=True):
        try:
            got = canonical(_evaluate(expr, env))
        except Exception:
            return False
        if not same(got, want):
            return False
    return True


def holds(condition: Expr, envs: Sequence[Env], expected: Sequence[bool]) -> bool:
    """Whether `condition` is true in exactly the calls `expected` says."""
    for env, want in zip(envs, expected, strict=True):
        try:
            got = _evaluate(condition, env)
        except Exception:
            return False
        if bool(got) != want:
            return False
    return True
