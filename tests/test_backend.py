"""The torch backend builds exactly what the checker reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import archdsl
from archdsl.backend import build
from archdsl.backend.modules import Residual
from archdsl.backend.verify import trace_shapes, verify
from archdsl.ir import Model
from tests.helpers import SPECS, run_cli

ZOO = sorted(p.name for p in SPECS.glob("*.arch"))


@pytest.mark.parametrize("name", ZOO)
def test_module_matches_ir(name: str) -> None:
    """Params, buffers and every node's output shape agree with a real CPU forward pass."""
    ir = archdsl.load(SPECS / name).model()
    module = build(ir)
    assert sum(p.numel() for p in module.parameters()) == ir.params
    assert sum(b.numel() for b in module.buffers()) == ir.buffers
    shapes = trace_shapes(module, ir, torch.device("cpu"))
    for node in ir.root.walk():
        assert shapes[node.path] == tuple(node.out_shape), node.path


@pytest.mark.parametrize("name", ZOO)
def test_verify_passes_on_every_spec(name: str) -> None:
    """What `archdsl check --verify` runs: a meta-device forward pass, node by node."""
    result = verify(archdsl.load(SPECS / name).model())
    assert result.mismatches == []
    assert result.device == "meta"


def test_module_tree_reads_like_the_spec() -> None:
    module = build(SPECS / "resnet50.arch")
    keys = list(module.state_dict())
    assert keys[0] == "stem.0.weight"
    assert "layer1.0.0.body.0.weight" in keys  # stage 1, block 0, its residual, body conv
    assert "layer1.0.0.project.0.weight" in keys  # the projection of the first block
    assert "layer1.1.1.0.body.0.weight" in keys  # the repeat's second copy
    assert "layer1.1.0.0.project.0.weight" not in keys  # shape kept: no projection built
    head = module.get_submodule("head")
    assert isinstance(head[2], nn.Linear)
    assert (head[2].in_features, head[2].out_features) == (2048, 1000)
    assert module.get_submodule("layer2")._get_name() == "BottleneckStage"


SMALL = """
model small {
  input [3, 16, 16]
  features: conv(8, 3x3, padding=1) -> batchnorm -> relu -> dropout(0.5)
  skip: residual { conv(8, 3x3, padding=1) -> batchnorm }
  head: avgpool(global) -> flatten -> dropout(0.5) -> linear(4)
}
"""


def test_eval_and_train_behave_as_torch_layers() -> None:
    torch.manual_seed(0)
    module = build(SMALL)
    x = torch.randn(8, 3, 16, 16)
    module.train()
    first, second = module(x), module(x)
    assert not torch.equal(first, second)  # dropout draws a new mask each pass
    bn = module.get_submodule("features.1")
    assert isinstance(bn, nn.BatchNorm2d)
    assert int(bn.num_batches_tracked) == 2  # training updates the running statistics
    running_mean = bn.running_mean.clone()
    module.eval()
    a, b = module(x), module(x)
    assert torch.equal(a, b)  # dropout off
    assert torch.equal(bn.running_mean, running_mean)  # statistics frozen in eval mode
    assert int(bn.num_batches_tracked) == 2
    # In eval mode batchnorm normalises with its running statistics, not the batch's.
    conv = module.get_submodule("features.0")
    y = conv(x)
    expected = (y - bn.running_mean[None, :, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None] + bn.eps
    ) * bn.weight[None, :, None, None] + bn.bias[None, :, None, None]
    torch.testing.assert_close(bn(y), expected)


def test_torchvision_init_and_zero_init_residual() -> None:
    torch.manual_seed(0)
    module = build(SPECS / "resnet50.arch", init="torchvision", zero_init_residual=True)
    conv = module.get_submodule("layer3.1.0.0.body.3")
    assert isinstance(conv, nn.Conv2d)
    fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
    assert conv.weight.std().item() == pytest.approx((2.0 / fan_out) ** 0.5, rel=0.05)
    residuals = [m for m in module.modules() if isinstance(m, Residual)]
    assert len(residuals) == 16
    for res in residuals:
        norms = [m for m in res.body.modules() if isinstance(m, nn.BatchNorm2d)]
        assert torch.count_nonzero(norms[-1].weight) == 0
        assert torch.all(norms[0].weight == 1)


def test_init_is_read_from_the_train_section() -> None:
    spec = SMALL + "train { init torchvision(zero_init_residual=true) }\n"
    module = build(spec)
    last = module.get_submodule("skip.body.1")
    assert isinstance(last, nn.BatchNorm2d)
    assert torch.count_nonzero(last.weight) == 0
    default = build(SMALL)
    assert torch.all(default.get_submodule("skip.body.1").weight == 1)


def test_verify_names_the_node_that_disagrees() -> None:
    ir = archdsl.load(SMALL).model()
    assert verify(ir).mismatches == []
    # Tamper with one node's recorded shape: verification must catch it there.
    data = ir.model_dump()
    data["root"]["children"][0]["children"][0]["out_shape"] = [8, 15, 15]
    broken = Model.model_validate(data)
    mismatches = verify(broken).mismatches
    assert [(m.path, m.what) for m in mismatches] == [("features.0", "output shape")]
    assert mismatches[0].torch == (8, 16, 16)
    diag = mismatches[0].diagnostic()
    assert diag.span is not None and (diag.span.line, diag.span.col) == (4, 13)


def test_check_verify_cli(tmp_path: Path) -> None:
    spec = tmp_path / "small.arch"
    spec.write_text(SMALL)
    result = run_cli("check", str(spec), "--verify")
    assert result.returncode == 0, result.stderr
    assert "verified small against torch" in result.stdout
    assert "15 nodes, 876 params, 34 buffers agree with the IR" in result.stdout
    zoo = run_cli("check", "specs/resnet20_cifar.arch", "--verify", "--json")
    assert zoo.returncode == 0, zoo.stderr
    [report] = json.loads(zoo.stdout)["models"]
    assert report["verify"] == {
        "ok": True,
        "device": "meta",
        "nodes": report["verify"]["nodes"],
        "params": 269_722,
        "buffers": report["buffers"],
    }
    assert report["verify"]["nodes"] == len(report["nodes"]) + 1  # the model itself too
