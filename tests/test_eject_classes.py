"""Each ejected class is right for any arguments, not only for those the spec used.

A block is ejected from a spec that calls it with some arguments; its class is
then constructed with fresh ones and compared with `archdsl.build` of the same
call: state_dict keys and shapes, and outputs once the weights are shared.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

import archdsl
from archdsl.export.eject import eject
from tests.helpers import SPECS
from tests.test_eject import same_module


def _classes(spec: str) -> dict[str, Any]:
    program = archdsl.load(spec)
    source = eject(program.model(), program.sources, "spec.arch")
    namespace: dict[str, Any] = {}
    exec(compile(source, "ejected.py", "exec"), namespace)
    return namespace


def _same_call(cls: type[nn.Module], blocks: str, call: str, shape: tuple[int, ...]) -> None:
    """`cls(in_channels, ...)` agrees with the block module archdsl builds for `call`."""
    dims = ", ".join(str(d) for d in shape)
    try:
        program = archdsl.load(f"{blocks}\nmodel probe {{\n  input [{dims}]\n  {call}\n}}\n")
    except archdsl.ArchError:
        assume(False)  # these arguments make no valid network
        return
    torch.manual_seed(0)
    built = archdsl.build(program.model()).eval()[0]
    kwargs = _keywords(call)
    with torch.device("meta"):
        ejected = cls(shape[0], **kwargs)
    same_module(ejected, built, torch.randn(2, *shape))


def _keywords(call: str) -> dict[str, Any]:
    """`b(c=3, s=2, flag=false)` as Python keywords."""
    inner = call[call.index("(") + 1 : call.rindex(")")]
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in inner.split(","))):
        key, value = part.split("=")
        out[key.strip()] = {"true": True, "false": False}.get(value.strip())
        if out[key.strip()] is None:
            out[key.strip()] = int(value)
    return out


ISSUE_13 = """
block b(width, stride=1) {
  conv(width, 1x1)
  conv(width, 3x3, stride=stride, padding=1)
}
"""


@pytest.mark.parametrize(
    ("in_channels", "width", "stride"), [(8, 8, 1), (3, 5, 2), (16, 4, 1), (4, 4, 2)]
)
def test_issue_example_is_right_for_other_arguments(
    in_channels: int, width: int, stride: int
) -> None:
    # The spec's values coincide: width == in_channels == 8, stride == 1.
    cls = _classes(ISSUE_13 + "model m { input [8, 16, 16]; b(8) -> b(8) }")["B"]
    _same_call(cls, ISSUE_13, f"b(width={width}, stride={stride})", (in_channels, 12, 12))


RESNEXT = """
block resnext(width, stride=1, groups=32, base=4) {
  let inner = width * base * groups // 64
  residual {
    conv(inner, 1x1, bias=false) -> batchnorm -> relu
    conv(inner, 3x3, stride=stride, padding=1, groups=groups, bias=false) -> batchnorm -> relu
    conv(width * 4, 1x1, bias=false) -> batchnorm
  } project {
    conv(width * 4, 1x1, stride=stride, bias=false) -> batchnorm
  }
  relu
}
"""


@pytest.mark.parametrize(
    ("in_channels", "call", "size"),
    [
        (256, "resnext(width=64)", 14),
        (64, "resnext(width=64, stride=2)", 15),
        (512, "resnext(width=128, stride=2, groups=8)", 14),
        (32, "resnext(width=16, groups=4, base=8)", 7),
    ],
)
def test_resnext_bottleneck_takes_other_widths_and_strides(
    in_channels: int, call: str, size: int
) -> None:
    spec = RESNEXT + "model m {\n  input [64, 28, 28]\n  resnext(64) -> resnext(64)\n}\n"
    cls = _classes(spec)["Resnext"]
    _same_call(cls, RESNEXT, call, (in_channels, size, size))


# Steps of `block b(c, s=1, flag=true, d=c + 1)`: each parameter feeds several
# arguments, appears inside expressions, in conditions and in defaults.
STEPS = st.sampled_from(
    [
        "conv(c, 1x1)",
        "conv(c, 3x3, stride=s, padding=1)",
        "conv(d, 3x3, padding=s, bias=flag)",
        "conv(c * 2, 1x1, stride=s)",
        "conv(in.channels, 3x3, padding=1, groups=in.channels)",
        "conv(in.channels + c, 1x1)",
        "batchnorm",
        "relu",
        "if flag { relu6 } else { batchnorm }",
        "if s == 2 { maxpool(2x2) }",
        "if c > 3 { conv(c - 1, 1x1) }",
        "let h = in.channels * 2\n  conv(h, 1x1)",
        "residual { conv(c, 3x3, padding=1) -> batchnorm } project { conv(c, 1x1) }",
        "residual { conv(c, 3x3, stride=s, padding=1) } project { conv(c, 1x1, stride=s) }",
        "residual { relu -> conv(in.channels, 1x1) -> scale(0.5) }",
        "concat { | conv(c, 1x1) | maxpool(3x3, stride=1, padding=1) }",
        "add { | conv(d, 1x1) | conv(d, 3x3, padding=1) }",
        "repeat(2) conv(c, 3x3, padding=1)",
        "repeat(s) as i { conv(c + i, 1x1) -> relu }",
        "repeat(2) residual { conv(c, 3x3, padding=1) } project { conv(c, 1x1) }",
        "pad_channels(in.channels + c, stride=s)",
    ]
)
HEAD = "block b(c, s=1, flag=true, d=c + 1) {\n  "


def _call(draw: st.DrawFn) -> str:
    args = [f"c={draw(st.integers(1, 6))}"]
    if draw(st.booleans()):
        args.append(f"s={draw(st.integers(1, 2))}")
    if draw(st.booleans()):
        args.append(f"flag={draw(st.sampled_from(['true', 'false']))}")
    if draw(st.booleans()):
        args.append(f"d={draw(st.integers(1, 6))}")
    return f"b({', '.join(args)})"


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, str, tuple[int, ...]]:
    block = HEAD + "\n  ".join(draw(st.lists(STEPS, min_size=1, max_size=4))) + "\n}\n"
    # The spec's own calls: often all alike, so that values coincide.
    width = draw(st.integers(1, 6))
    alike = draw(st.booleans())
    spec_calls = [f"b(c={width})"] * 2 if alike else [_call(draw) for _ in range(2)]
    size = draw(st.integers(6, 12))
    model = f"model m {{\n  input [{width}, {size}, {size}]\n  {' -> '.join(spec_calls)}\n}}\n"
    spec = block + model
    fresh = _call(draw)
    shape = (draw(st.integers(1, 6)), draw(st.integers(4, 12)), draw(st.integers(4, 12)))
    return spec, block, fresh, shape


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(cases())
def test_ejected_class_agrees_with_build_for_fresh_arguments(
    case: tuple[str, str, str, tuple[int, ...]],
) -> None:
    spec, block, fresh, shape = case
    try:
        archdsl.load(spec)
    except archdsl.ArchError:
        assume(False)
    classes = _classes(spec)
    _same_call(classes["B"], block, fresh, shape)


def test_zoo_block_classes_take_other_arguments() -> None:
    """torchvision's ResNet-50 bottleneck, from the zoo's spec, at another width."""
    classes = _classes(str(SPECS / "resnet50.arch"))
    lib = (SPECS / "lib" / "resnet.arch").read_text()
    _same_call(classes["Bottleneck"], lib, "bottleneck(width=24, stride=2)", (40, 9, 9))
