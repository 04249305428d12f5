"""Random graphs of named values: they elaborate to the shapes numpy's broadcasting
predicts, and the built module agrees with the IR (`check --verify`)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archdsl
from archdsl.backend.verify import verify

Shape = tuple[int, ...]


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """numpy's rule on batched values (a batch of 2 in front), as an oracle."""
    try:
        return tuple(np.broadcast_shapes((2, *a), (2, *b))[1:])
    except ValueError:
        return None


@st.composite
def graphs(draw: st.DrawFn) -> tuple[str, dict[str, Shape]]:
    """A model of named values, and the per-sample shape each name must get."""
    c0, size = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    shapes: dict[str, Shape] = {"x": (c0, size, size)}
    lines = [f"input x: [{c0}, {size}, {size}]"]
    last = "x"
    for i in range(draw(st.integers(1, 12))):
        name = f"v{i}"
        src = draw(st.sampled_from(sorted(shapes)))
        shape = shapes[src]
        kind = draw(st.sampled_from(["conv", "act", "pool", "flat", "merge", "concat", "chunk"]))
        prefix = "" if src == last else f"{src} -> "  # implicit flow from the line above
        if kind == "conv" and len(shape) == 3:
            c = draw(st.integers(1, 6))
            lines.append(f"{name} = {prefix}conv({c}, 3x3, padding=1)")
            shapes[name] = (c, *shape[1:])
        elif kind == "pool" and len(shape) == 3:
            lines.append(f"{name} = {prefix}avgpool(global) -> conv({shape[0]}, 1x1)")
            shapes[name] = (shape[0], 1, 1)
        elif kind == "flat":
            lines.append(f"{name} = {prefix}flatten -> linear({draw(st.integers(1, 6))})")
            shapes[name] = (int(lines[-1].split("linear(")[1][:-1]),)
        elif kind == "merge":
            op = draw(st.sampled_from(["add", "mul"]))
            fits = [n for n in sorted(shapes) if _broadcast(shape, shapes[n]) is not None]
            fits = [n for n in fits if len(shapes[n]) == len(shape)]
            other = draw(st.sampled_from(fits))
            if draw(st.booleans()) and len(shape) == 3:  # a learned, shared gain
                lines.append(f"g{i} = param([{shape[0]}, 1, 1], init=normal)")
                lines.append(f"{name} = {op}({src}, g{i}, {other})")
            else:
                lines.append(f"{name} = {op}({src}, {other})")
            out = _broadcast(shape, shapes[other])
            assert out is not None
            shapes[name] = out
        elif kind == "concat":
            same = [n for n in sorted(shapes) if shapes[n][1:] == shape[1:]]
            parts = draw(st.lists(st.sampled_from(same), min_size=1, max_size=3))
            lines.append(f"{name} = concat({', '.join([src, *parts])}, dim=0)")
            shapes[name] = (sum(shapes[p][0] for p in [src, *parts]), *shape[1:])
        elif kind == "chunk" and shape[0] % 2 == 0:
            lines.append(f"{name}, {name}b = {prefix}chunk(2)")
            half = (shape[0] // 2, *shape[1:])
            shapes[name] = shapes[f"{name}b"] = half
            last = ""  # no value flows on from a destructuring
            continue
        else:
            lines.append(f"{name} = {prefix}relu")
            shapes[name] = shape
        last = name
    outputs = draw(st.lists(st.sampled_from(sorted(shapes)), min_size=1, max_size=3, unique=True))
    lines.append(f"output {', '.join(outputs)}")
    spec = "model net {\n  " + "\n  ".join(lines) + "\n}\n"
    return spec, shapes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_elaborate_and_verify(case: tuple[str, dict[str, Shape]]) -> None:
    spec, shapes = case
    model = archdsl.load(spec).model()
    named = {v.name: v for v in model.values.values() if v.name and v.batched}
    for name, value in named.items():
        assert value.shape == shapes[name], (name, spec)
    result = verify(model, device="cpu")
    assert result.mismatches == [], spec
    module = archdsl.build(model)
    out = module(torch.randn(2, *shapes["x"]))
    outs = out if isinstance(out, tuple) else (out,)
    want = [(2, *model.values[v].shape) for v in model.outputs]
    assert [tuple(o.shape) for o in outs] == want, spec
