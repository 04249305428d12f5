"""Every shape rule of the ops over tensors of any rank agrees with torch.

For random arguments and inputs, the op's static output shape, parameters and
buffers equal what its torch module has and computes; an input the rule
refuses is refused with a message.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.registry import OPS
from archdsl.ops.shape_math import Shape

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def _agrees(name: str, args: dict[str, Any], shape: Shape, tokens: int = 0) -> None:
    """The op's rule against its module, fed a batch of 2 (token ids below `tokens`)."""
    op: Op = OPS[name].model_validate(args)
    try:
        out = op.output_shape(shape)
    except ShapeError as err:
        assert err.message  # refused, with a reason
        assume(False)
        return
    assume(min(out) >= 1)
    module = op.to_torch(shape, out).eval()
    x = torch.randint(0, tokens, (2, *shape)).float() if tokens else torch.randn(2, *shape)
    with torch.no_grad():
        y = module(x)
    assert tuple(y.shape) == (2, *out), (name, args, shape)
    assert sum(p.numel() for p in module.parameters()) == op.params(shape)
    assert sum(b.numel() for b in module.buffers()) == op.buffers(shape)


def _sizes(n: int, low: int, high: int) -> st.SearchStrategy[int | list[int]]:
    """One number for every axis, or one per axis."""
    return st.one_of(
        st.integers(low, high), st.lists(st.integers(low, high), min_size=n, max_size=n)
    )


@st.composite
def maps(draw: st.DrawFn, ranks: tuple[int, ...] = (2, 3, 4)) -> Shape:
    """[C, L], [C, H, W] or [C, D, H, W] with small sides."""
    rank = draw(st.sampled_from(ranks))
    return (draw(st.integers(1, 6)), *(draw(st.integers(1, 9)) for _ in range(rank - 1)))


@SETTINGS
@given(st.data())
def test_conv_any_rank(data: st.DataObject) -> None:
    shape = data.draw(maps())
    n = len(shape) - 1
    groups = data.draw(st.sampled_from([g for g in (1, 2, 3) if shape[0] % g == 0]))
    args: dict[str, Any] = {
        "out_channels": groups * data.draw(st.integers(1, 3)),
        "kernel": data.draw(_sizes(n, 1, 4)),
        "dilation": data.draw(_sizes(n, 1, 2)),
        "groups": groups,
        "bias": data.draw(st.booleans()),
    }
    if data.draw(st.booleans()):
        args["padding"] = "same"
    else:
        args["padding"] = data.draw(_sizes(n, 0, 2))
        args["stride"] = data.draw(_sizes(n, 1, 3))
    _agrees("conv", args, shape)


@SETTINGS
@given(st.data())
def test_conv_transpose_any_rank(data: st.DataObject) -> None:
    shape = data.draw(maps())
    n = len(shape) - 1
    groups = data.draw(st.sampled_from([g for g in (1, 2) if shape[0] % g == 0]))
    stride = data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    args = {
        "out_channels": groups * data.draw(st.integers(1, 3)),
        "kernel": data.draw(_sizes(n, 1, 4)),
        "stride": stride,
        "padding": data.draw(_sizes(n, 0, 1)),
        "output_padding": [data.draw(st.integers(0, s - 1)) for s in stride],
        "groups": groups,
        "bias": data.draw(st.booleans()),
    }
    _agrees("conv_transpose", args, shape)


@SETTINGS
@given(st.data(), st.sampled_from(["maxpool", "avgpool"]))
def test_window_pools_any_rank(data: st.DataObject, name: str) -> None:
    shape = data.draw(maps())
    n = len(shape) - 1
    if data.draw(st.integers(0, 5)) == 0:
        _agrees(name, {"kernel": "global"}, shape)
        return
    kernel = data.draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    args: dict[str, Any] = {
        "kernel": kernel,
        "stride": data.draw(_sizes(n, 1, 3)),
        "padding": [data.draw(st.integers(0, k // 2)) for k in kernel],
        "ceil_mode": data.draw(st.booleans()),
    }
    _agrees(name, args, shape)


@SETTINGS
@given(st.data(), st.sampled_from(["adaptive_avgpool", "adaptive_maxpool"]))
def test_adaptive_pools_any_rank(data: st.DataObject, name: str) -> None:
    shape = data.draw(maps())
    _agrees(name, {"size": data.draw(_sizes(len(shape) - 1, 1, 5))}, shape)


@SETTINGS
@given(maps((1, 2, 3, 4)), st.booleans(), st.booleans())
def test_batchnorm_any_rank(shape: Shape, affine: bool, track: bool) -> None:
    _agrees("batchnorm", {"affine": affine, "track_running_stats": track}, shape)


@SETTINGS
@given(maps((1, 2, 3, 4)), st.integers(1, 7), st.booleans())
def test_linear_acts_on_the_last_axis(shape: Shape, out: int, bias: bool) -> None:
    op = OPS["linear"].model_validate({"out_features": out, "bias": bias})
    assert op.output_shape(shape) == (*shape[:-1], out)
    positions = int(torch.tensor(shape[:-1]).prod())  # 1 for a flat input
    assert op.macs(shape, op.output_shape(shape)) == positions * shape[-1] * out
    _agrees("linear", {"out_features": out, "bias": bias}, shape)


@SETTINGS
@given(maps((1, 2, 3, 4)), st.sampled_from(["all", "last", "channels"]), st.booleans())
def test_layernorm_over_each_choice(shape: Shape, over: str, affine: bool) -> None:
    _agrees("layernorm", {"over": over, "affine": affine}, shape)


@SETTINGS
@given(maps((1, 2, 3, 4)), st.integers(-4, 3), st.integers(-4, 3))
def test_flatten_start_end(shape: Shape, start: int, end: int) -> None:
    _agrees("flatten", {"start": start, "end": end}, shape)


@SETTINGS
@given(maps())
def test_tokens(shape: Shape) -> None:
    _agrees("tokens", {}, shape)


@SETTINGS
@given(st.data())
def test_permute_and_reshape(data: st.DataObject) -> None:
    shape = data.draw(maps((1, 2, 3, 4)))
    dims = data.draw(st.permutations(list(range(len(shape)))))
    _agrees("permute", {"dims": dims}, shape)
    total = int(torch.tensor(shape).prod())
    first = data.draw(st.sampled_from([d for d in range(1, total + 1) if total % d == 0]))
    _agrees("reshape", {"shape": [first, -1]}, shape)
    _agrees("reshape", {"shape": [total // first, first]}, shape)


@SETTINGS
@given(st.data())
def test_select_and_mean(data: st.DataObject) -> None:
    shape = data.draw(maps((2, 3, 4)))
    if len(shape) == 2:
        _agrees("select", {"index": data.draw(st.integers(-shape[0], shape[0] - 1))}, shape)
    _agrees("mean", {"dim": data.draw(st.integers(-len(shape), len(shape) - 1))}, shape)


@SETTINGS
@given(st.data())
def test_upsample_crop_shuffle(data: st.DataObject) -> None:
    shape = data.draw(maps())
    n = len(shape) - 1
    modes = ["nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[n]]
    mode = data.draw(st.sampled_from(modes))
    if data.draw(st.booleans()):
        _agrees("upsample", {"scale": data.draw(_sizes(n, 1, 3)), "mode": mode}, shape)
    else:
        _agrees("upsample", {"size": data.draw(_sizes(n, 1, 12)), "mode": mode}, shape)
    _agrees("crop", {"size": [data.draw(st.integers(1, s)) for s in shape[1:]]}, shape)
    groups = data.draw(st.sampled_from([g for g in (1, 2, 3) if shape[0] % g == 0]))
    _agrees("channel_shuffle", {"groups": groups}, shape)


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 6), st.booleans())
def test_multihead_attention(tokens: int, heads: int, per_head: int, bias: bool) -> None:
    shape = (tokens, heads * per_head)
    _agrees("multihead_attention", {"heads": heads, "bias": bias}, shape)
    op = OPS["multihead_attention"].model_validate({"heads": heads})
    d = heads * per_head
    assert op.attention_macs(shape, shape) == 2 * tokens * tokens * d
    assert op.macs(shape, shape) == 4 * tokens * d * d + 2 * tokens * tokens * d


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 3), st.integers(1, 5), st.data())
def test_window_attention_and_patch_merging(
    h: int, w: int, heads: int, window: int, data: st.DataObject
) -> None:
    shape = (h, w, heads * data.draw(st.integers(1, 4)))
    shift = data.draw(st.integers(0, window - 1))
    _agrees("window_attention", {"heads": heads, "window": window, "shift": shift}, shape)
    _agrees("patch_merging", {}, shape)


@SETTINGS
@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from(["gru", "lstm"]),
)
def test_recurrent(
    steps: int, features: int, hidden: int, layers: int, both: bool, name: str
) -> None:
    args = {"hidden": hidden, "layers": layers, "bidirectional": both}
    _agrees(name, args, (steps, features))


@SETTINGS
@given(st.integers(1, 8), st.integers(1, 20), st.integers(1, 6))
def test_embedding(steps: int, num: int, dim: int) -> None:
    _agrees("embedding", {"num": num, "dim": dim}, (steps,), tokens=num)


@pytest.mark.parametrize(
    ("name", "args", "shape", "message"),
    [
        (
            "conv",
            {"out_channels": 4, "kernel": [3, 3]},
            (2, 9, 9, 9),
            "has kernel 3x3, which has 2 sides for the 3 spatial axes of [N, 2, 9, 9, 9]",
        ),
        (
            "conv",
            {"out_channels": 4, "kernel": 3},
            (8,),
            "expects a sequence [N, C, L], an image [N, C, H, W] or a volume [N, C, D, H, W], "
            "got [N, 8]",
        ),
        (
            "multihead_attention",
            {"heads": 5},
            (4, 12),
            "has heads=5, which does not divide the width 12 of [N, 4, 12]",
        ),
        (
            "window_attention",
            {"heads": 2, "window": 4},
            (8, 8, 3),
            "has heads=2, which does not divide the width 3 of [N, 8, 8, 3]",
        ),
        (
            "window_attention",
            {"heads": 1, "window": 4},
            (8, 8),
            "expects a channels-last map [N, H, W, C], got [N, 8, 8]",
        ),
        ("gru", {"hidden": 4}, (3, 8, 8), "expects a sequence [N, T, features], got [N, 3, 8, 8]"),
        (
            "permute",
            {"dims": [0, 0, 1]},
            (3, 8, 8),
            "needs each axis of [N, 3, 8, 8] once, from 0 to 2",
        ),
        ("reshape", {"shape": [5, -1]}, (3, 8), "cannot hold the 24 values of [N, 3, 8]"),
        (
            "upsample",
            {"scale": 2, "mode": "bilinear"},
            (3, 8),
            "has mode=bilinear, which takes a map of 2 spatial axes, not 1",
        ),
        ("crop", {"size": 9}, (3, 8, 8), "cannot crop 8x8 to a larger 9x9"),
        ("select", {"index": 4}, (4, 8), "has index=4, outside the 4 tokens of [N, 4, 8]"),
        ("select", {}, (4, 8, 8), "expects tokens [N, T, D], got [N, 4, 8, 8]"),
        ("flatten", {"start": 2, "end": 1}, (3, 8, 8), "has start axis 2 after end axis 1"),
        (
            "layernorm",
            {"over": "channels"},
            (8,),
            "over channels expects a map [N, C, ...] of rank 2 to 4, got [N, 8]",
        ),
    ],
)
def test_refusals_say_what_the_op_takes(
    name: str, args: dict[str, Any], shape: Shape, message: str
) -> None:
    op = OPS[name].model_validate(args)
    with pytest.raises(ShapeError) as caught:
        op.output_shape(shape)
    assert caught.value.message == message
