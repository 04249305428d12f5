"""The U-Net of the zoo: its counts worked out by hand, its skips as named values."""

from __future__ import annotations

import torch

import archdsl
from archdsl.ir import OpNode
from archdsl.ops.conv import ConvTranspose
from tests.helpers import SPECS, run_cli

SPEC = SPECS / "unet.arch"
WIDTHS = [64, 128, 256, 512]  # the encoder's levels; the bottom is 1024 wide
SIDES = [256, 128, 64, 32]  # their height and width for a 256x256 input


def double_conv(c_in: int, c_out: int, side: int) -> tuple[int, int]:
    """Params and MACs of two 3x3 convs with bias at a side x side map."""
    params = (9 * c_in * c_out + c_out) + (9 * c_out * c_out + c_out)
    macs = (9 * c_in * c_out + 9 * c_out * c_out) * side * side
    return params, macs


def by_hand() -> tuple[int, int]:
    """U-Net's params and MACs from its definition, level by level."""
    params = macs = 0
    c_in = 1
    for width, side in [*zip(WIDTHS, SIDES, strict=True), (1024, 16)]:
        p, m = double_conv(c_in, width, side)
        params, macs, c_in = params + p, macs + m, width
    for width, side in zip(reversed(WIDTHS), reversed(SIDES), strict=True):
        # the transposed conv: 2x2 kernel, 2*width -> width, at every input position
        params += 4 * 2 * width * width + width
        macs += 4 * 2 * width * width * (side // 2) ** 2
        p, m = double_conv(2 * width, width, side)  # after joining the skip
        params, macs = params + p, macs + m
    params += 64 * 2 + 2  # the 1x1 conv to two classes
    macs += 64 * 2 * 256 * 256
    return params, macs


def test_counts_equal_the_hand_computation() -> None:
    model = archdsl.load(SPEC).model()
    assert (model.params, model.macs) == by_hand()
    assert (model.params, model.macs) == (31_030_658, 48_096_083_968)  # the `expect` line
    assert (tuple(model.input), tuple(model.output)) == ((1, 256, 256), (2, 256, 256))


def test_decoder_joins_each_encoder_level_by_name() -> None:
    model = archdsl.load(SPEC).model()
    nodes = {node.path: node for node in model.root.children}
    made = {path: node.outputs[0] for path, node in nodes.items()}
    # Each decoder step reads the flow from below and the encoder's map it names.
    assert [nodes[f"dec{i}"].inputs for i in (4, 3, 2, 1)] == [
        [made["bottom"], made["enc4"]],
        [made["dec4"], made["enc3"]],
        [made["dec3"], made["enc2"]],
        [made["dec2"], made["enc1"]],
    ]
    sides = [model.values[made[f"enc{i}"]].shape for i in (1, 2, 3, 4)]
    assert sides == [(w, s, s) for w, s in zip(WIDTHS, SIDES, strict=True)]
    ops = [n.op for n in model.root.walk() if isinstance(n, OpNode)]
    ups = [op for op in ops if isinstance(op, ConvTranspose)]
    assert [(op.out_channels, op.stride) for op in ups] == [(w, 2) for w in reversed(WIDTHS)]


def test_module_gives_two_scores_per_pixel() -> None:
    with torch.device("meta"):
        scores = archdsl.build(SPEC)(torch.empty(2, 1, 256, 256))
    assert tuple(scores.shape) == (2, 2, 256, 256)


def test_check_verify_passes() -> None:
    result = run_cli("check", "specs/unet.arch", "--verify")
    assert result.returncode == 0, result.stderr
    assert "31,030,658 params" in result.stdout.splitlines()[-1]
