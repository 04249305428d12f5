"""Ejected classes of blocks over tokens, channels-last maps, 1-D signals and named
values are right for any arguments: each is constructed with fresh argument values
and input sizes and compared with `archdsl.build` of the same call."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import archdsl
from tests.test_eject import same_module
from tests.test_eject_classes import _classes, _keywords

# (rank, body) of `block b(c, s=1, heads=2)`: each a class reading its parameters.
BODIES = [
    (3, "input x; a = conv(c, 3x3, padding=1); y = x -> conv(c, 1x1, stride=s); add(a, y)"),
    (
        3,
        "input x; g = avgpool(global) -> conv(c, 1x1) -> sigmoid; y = x -> conv(c, 1x1); mul(y, g)",
    ),
    (
        3,
        "l, r = chunk(2); r2 = r -> conv(r.channels, 3x3, padding=1) -> relu; "
        "concat(l, r2) -> channel_shuffle(2)",
    ),
    (3, "input x; p = param([x.channels, 1, 1], init=ones); mul(x, p) -> conv(c, 1x1)"),
    (
        3,
        "input x; u = conv_transpose(c, 2x2, stride=2); v = x -> upsample(2) -> conv(c, 1x1); "
        "concat(u, v) -> conv(c, 3x3, padding=1)",
    ),
    (
        3,
        "conv(c, 3x3, padding=1) -> layernorm(over=channels) -> permute([1, 2, 0]); "
        "linear(c * 2) -> gelu -> permute([2, 0, 1])",
    ),
    (
        3,
        "conv(c * heads, 2x2, stride=2) -> tokens -> layernorm(over=last); "
        "multihead_attention(heads) -> mean(0)",
    ),
    (
        2,
        "layernorm(over=last) -> linear(c * heads) -> residual { multihead_attention(heads) }; "
        "residual { layernorm(over=last) -> linear(c) -> relu -> linear(c * heads) }",
    ),
    (2, "conv(c, 3, padding=1, stride=s) -> batchnorm -> relu -> maxpool(2) -> flatten"),
    (2, "input x; a = linear(c) -> gelu; y = x -> linear(c); mul(a, y) -> select(0)"),
]


def _call(draw: st.DrawFn) -> str:
    args = [f"c={draw(st.integers(1, 6))}"]
    if draw(st.booleans()):
        args.append(f"s={draw(st.integers(1, 2))}")
    if draw(st.booleans()):
        args.append(f"heads={draw(st.integers(1, 3))}")
    return f"b({', '.join(args)})"


def _shape(draw: st.DrawFn, rank: int) -> tuple[int, ...]:
    channels = 2 * draw(st.integers(1, 4))
    return (channels, *(2 * draw(st.integers(2, 5)) for _ in range(rank - 1)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, tuple[int, ...], tuple[int, ...]]:
    rank, body = draw(st.sampled_from(BODIES))
    lines = "\n  ".join(body.split("; "))
    block = f"block b(c, s=1, heads=2) {{\n  {lines}\n}}\n"
    shape = _shape(draw, rank)
    spec_call = " -> ".join([_call(draw)] * draw(st.integers(1, 2)))
    dims = ", ".join(map(str, shape))
    spec = block + f"model m {{\n  input [{dims}]\n  {spec_call}\n}}\n"
    return spec, block, draw(st.just(_call(draw))), _shape(draw, rank)


def _sizes(cls: type, shape: tuple[int, ...]) -> dict[str, Any]:
    """The class's input-size parameters, for an input of `shape`."""
    names = {
        2: ("in_channels", "in_features"),
        3: ("in_channels", "in_height", "in_width"),
    }[len(shape)]
    wanted = inspect.signature(cls).parameters
    return {n: v for n, v in zip(names, shape, strict=True) if n in wanted}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(cases())
def test_ejected_graph_class_agrees_with_build_for_fresh_arguments(
    case: tuple[str, str, str, tuple[int, ...]],
) -> None:
    spec, block, fresh, shape = case
    try:
        archdsl.load(spec)
        dims = ", ".join(map(str, shape))
        probe = archdsl.load(f"{block}\nmodel probe {{\n  input [{dims}]\n  {fresh}\n}}\n")
    except archdsl.ArchError:
        assume(False)
        return
    cls = _classes(spec)["B"]
    torch.manual_seed(0)
    built = archdsl.build(probe.model()).eval()[0]
    with torch.device("meta"):
        ejected = cls(**_sizes(cls, shape), **_keywords(fresh))
    same_module(ejected, built, torch.randn(2, *shape))
