"""Random valid networks: the built module always agrees with the IR."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import archdsl
from archdsl.backend import build
from archdsl.backend.verify import trace_shapes

# Steps that keep the spatial size, so they can sit in any residual body.
KEEP_SIZE = st.sampled_from(
    [
        "conv({c}, 3x3, padding=1)",
        "conv({c}, 1x1, bias=false)",
        "conv({c}, 5x5, padding=2, dilation=1)",
        "conv({c}, 3x3, padding=2, dilation=2)",
        "conv(in.channels, 3x3, padding=1, groups=in.channels)",
        "conv({c}, 1x7, padding=[0, 3]) -> conv({c}, 7x1, padding=[3, 0])",
        "batchnorm",
        "relu",
        "relu6",
        "dropout(0.2)",
        "avgpool(3x3, stride=1, padding=1)",
        "maxpool(3x3, stride=1, padding=1)",
        "scale(0.5)",
    ]
)

# Steps that may shrink the input.
SHRINK = st.sampled_from(
    [
        "conv({c}, 3x3, stride=2, padding=1)",
        "conv({c}, 3x3)",
        "maxpool(2x2)",
        "maxpool(3x3, stride=2, ceil_mode=true)",
        "avgpool(3x3, stride=2, padding=1, ceil_mode=true)",
        "pad_channels(in.channels + {c}, stride=2)",
    ]
)


@st.composite
def steps(draw: st.DrawFn, depth: int = 0) -> str:
    channels = draw(st.integers(1, 12))
    composite = ["residual", "project", "concat", "add", "mul", "repeat"]
    kinds = ["keep", "shrink"] + (composite if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "keep":
        return draw(KEEP_SIZE).format(c=channels)
    if kind == "shrink":
        return draw(SHRINK).format(c=channels)
    if kind == "residual":
        body = draw(st.lists(steps(depth + 1), min_size=1, max_size=3))
        return "let c = in.channels\nresidual {\n" + "\n".join(body) + "\nconv(c, 1x1)\n}"
    if kind == "project":
        stride = draw(st.integers(1, 2))
        return (
            f"residual {{ conv({channels}, 3x3, stride={stride}, padding=1) -> batchnorm }}"
            f" project {{ conv({channels}, 1x1, stride={stride}) }}"
        )
    if kind in ("concat", "add", "mul"):
        n = draw(st.integers(1, 4))
        branches = []
        for _ in range(n):
            inner = draw(st.lists(steps(depth + 1), min_size=0, max_size=2))
            out = {
                "concat": draw(st.integers(1, 8)),
                "add": channels,
                "mul": draw(st.sampled_from([channels, 1])),
            }[kind]
            last = f"conv({out}, 3x3, padding=1)"
            if kind == "mul":  # a gate of one value per channel, or a whole map
                last += draw(st.sampled_from(["", " -> avgpool(global)"]))
            branches.append("| " + "\n".join([*inner, last]))
        return f"{kind} {{\n" + "\n".join(branches) + "\n}"
    times = draw(st.integers(0, 3))
    body = draw(st.lists(steps(depth + 1), min_size=1, max_size=2))
    return f"repeat({times}) {{\n" + "\n".join(body) + "\n}"


@st.composite
def networks(draw: st.DrawFn) -> str:
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(4, 20)), draw(st.integers(4, 20))
    body = draw(st.lists(steps(), min_size=1, max_size=6))
    head = draw(st.sampled_from(["", "avgpool(global) -> flatten -> linear(3)", "flatten"]))
    return f"model net {{\n  input [{c}, {h}, {w}]\n" + "\n".join([*body, head]) + "\n}\n"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(networks())
def test_random_networks_match_their_ir(spec: str) -> None:
    try:
        ir = archdsl.load(spec).model()
    except archdsl.ArchError:
        assume(False)  # the shapes did not fit this input: not a valid network
        return
    module = build(ir)
    assert sum(p.numel() for p in module.parameters()) == ir.params
    assert sum(b.numel() for b in module.buffers()) == ir.buffers
    shapes = trace_shapes(module, ir, torch.device("cpu"))
    for node in ir.root.walk():
        assert shapes[node.path] == tuple(node.out_shape), (node.path, spec)
