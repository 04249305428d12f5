"""`archdsl eject`: standalone PyTorch source that loads archdsl's weights and agrees."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import archdsl
from archdsl.export.eject import eject
from tests.helpers import ROOT, SPECS, ZOO, run_cli, run_python


def _source(spec: str | Path) -> tuple[str, archdsl.Model]:
    program = archdsl.load(spec)
    model = program.model()
    return eject(model, program.sources, "spec.arch"), model


def _model_class(source: str) -> Any:
    """The last class the source defines (the model's), from a fresh namespace."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "ejected.py", "exec"), namespace)
    classes = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, nn.Module)]
    return classes[-1]


def _imports(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


def _agrees_with_build(source: str, model: archdsl.Model, batch: int = 1) -> nn.Module:
    """Same state_dict keys and shapes as archdsl.build, its weights load, same outputs."""
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    with torch.device("meta"):  # no second initialisation: the weights come from `built`
        ejected = _model_class(source)()
    same_module(ejected, built, torch.randn(batch, *model.input))
    return ejected


def same_module(ejected: nn.Module, built: nn.Module, x: torch.Tensor) -> None:
    """Same state_dict keys and shapes; with `built`'s weights, the same output for `x`."""
    want = {k: tuple(v.shape) for k, v in built.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in ejected.state_dict().items()}
    assert list(got) == list(want)
    assert got == want
    ejected.load_state_dict(built.state_dict(), strict=True, assign=True)
    ejected.eval()
    with torch.no_grad():
        torch.testing.assert_close(ejected(x), built(x), rtol=1e-5, atol=1e-5)


# Every zoo spec ejects; its module is archdsl.build's, every output alike.
EJECTABLE = list(ZOO)
# Quick to build and run: one of each kind (a ViT, a U-Net, a GRU, channel splits, SE).
FAST = {"vit_b_16.arch", "unet.arch", "digits_gru.arch", "shufflenet_v2_x1_0.arch"}
FAST |= {"efficientnet_b0.arch"}


def _inputs(model: archdsl.Model) -> list[torch.Tensor]:
    """A random batch of 2 for each input; token ids where an embedding reads them."""
    out = []
    for value in model.inputs:
        shape = model.values[value].shape
        if _reads_tokens(model, value):
            out.append(torch.randint(0, 10, (2, *shape)).float())
        else:
            out.append(torch.randn(2, *shape))
    return out


def _reads_tokens(model: archdsl.Model, value: str) -> bool:
    return any(
        getattr(getattr(n, "op", None), "name", None) == "embedding" and value in n.inputs
        for n in model.root.walk()
    )


def check_zoo_spec(name: str) -> None:
    source, model = _source(SPECS / name)
    assert _imports(source) <= {"torch", "torch.nn.functional", "collections", "math"}
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    with torch.device("meta"):
        ejected = _model_class(source)()
    want = {k: tuple(v.shape) for k, v in built.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in ejected.state_dict().items()}
    assert list(got) == list(want)
    assert got == want
    ejected.load_state_dict(built.state_dict(), strict=True, assign=True)
    ejected.eval()
    xs = _inputs(model)
    with torch.no_grad():
        a, b = ejected(*xs), built(*xs)
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b) == len(model.outputs)
        for x, y in zip(a, b, strict=True):
            torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-5)
    else:
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(FAST))
def test_zoo_graphs_eject_to_the_same_module(name: str) -> None:
    check_zoo_spec(name)


@pytest.mark.parametrize("name", [n for n in ZOO if n not in FAST])
def test_zoo_ejects_to_the_same_module(name: str) -> None:
    check_zoo_spec(name)


def test_ejected_zoo_passes_ruff(tmp_path: Path) -> None:
    for name in EJECTABLE:
        (tmp_path / name.replace(".arch", ".py")).write_text(_source(SPECS / name)[0])
    assert_passes_ruff(tmp_path)


def assert_passes_ruff(folder: Path) -> None:
    """The files in `folder` pass ruff's checks and formatting with its defaults."""
    rules = "E,F,W,I,B,UP,SIM,RUF"
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", rules, str(folder)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    style = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", "--diff", str(folder)],
        capture_output=True,
        text=True,
    )
    assert style.returncode == 0, style.stdout


def test_resnet50_reads_like_torchvision() -> None:
    source, _ = _source(SPECS / "resnet50.arch")
    assert source.count("class Bottleneck(nn.Sequential):") == 1
    assert "def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:" in source
    # The projection only where the block changes the shape, as torchvision decides.
    assert "if stride != 1 or in_channels != width * 4:" in source
    assert "nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)" in source
    # The rest of a stage: the same block, its input four times as wide.
    assert "*[Bottleneck(width * 4, width=width) for _ in range(blocks - 1)]" in source
    # Labels are attributes, and the forward pass reads them in order.
    assert "self.layer2 = BottleneckStage(256, width=128, blocks=4, stride=2)" in source
    assert "        x = self.layer4(x)\n        return self.head(x)\n" in source
    assert "class Concat" not in source and "class Scale" not in source


def test_the_docs_show_what_eject_writes() -> None:
    source, _ = _source(SPECS / "resnet50.arch")
    shown = source[source.index("class Bottleneck(") :]
    assert shown in (ROOT / "docs" / "export.md").read_text()
    unet, _ = _source(SPECS / "unet.arch")
    up = unet[unet.index("class Up(") : unet.index("\n\n\nclass Unet(")]
    indented = "\n".join(f"  {line}" if line else "" for line in up.split("\n"))
    assert indented in (ROOT / "docs" / "export.md").read_text()


def test_mobilenet_v2_keeps_the_specs_conditions() -> None:
    source, _ = _source(SPECS / "mobilenet_v2.arch")
    # One class per block although the calls expand differently: the spec's `if`s.
    for cls in ("ConvBnRelu6", "Mbconv", "InvertedResidual", "BottleneckRow"):
        assert source.count(f"class {cls}(") == 1, cls
    assert "        if activate:\n            layers.append(nn.ReLU6(inplace=True))" in source
    assert "        if expand != 1:\n" in source
    assert "        if stride == 1 and in_channels == out:\n" in source
    assert "padding=kernel // 2" in source


def test_helpers_are_written_only_where_used() -> None:
    helpers = ("Residual", "Concat", "Add", "Scale", "PadChannels")
    expected = {
        "googlenet.arch": {"Concat"},
        "resnet20_cifar.arch": {"Residual", "PadChannels"},
        "inception_resnet_v2.arch": {"Residual", "Concat", "Scale"},
        "mlp.arch": set(),
    }
    for name, want in expected.items():
        source, _ = _source(SPECS / name)
        got = {h for h in helpers if f"\nclass {h}(" in source}
        assert got == want, name


EVERY_OP = """
block unit(width, act=true) {
  conv(width, 3x3, padding=same, dilation=2, bias=false) -> groupnorm(2, eps=1e-4)
  if act { leaky_relu(0.2) }
}

block tower(width) {
  add {
    | unit(width) -> conv(width, 1x1, groups=2)
    | unit(width, act=false) -> dropout2d(0.1) -> identity
  }
}

block classifier(classes) {
  fc: linear(classes, bias=false)
  probs: sigmoid -> softmax
}

model every_op {
  input [4, 16, 16]
  features: {
    unit(8) -> unit(8) -> unit(16, act=false)
    tower(16) -> elu(0.5) -> silu -> hardswish
    maxpool(3x3, stride=2, padding=1, dilation=1, ceil_mode=true)
    avgpool(2x2, stride=1, count_include_pad=false) -> lrn(3)
    conv(16, 3x3, padding=valid) -> adaptive_maxpool(4x3) -> adaptive_avgpool(2x2)
    repeat(3) as i conv(16 + 8 * i, 1x1)
    layernorm(eps=1e-6) -> gelu(approximate="tanh")
  }
  flatten
  linear(32) -> batchnorm -> tanh -> dropout(0.3) -> scale(0.5)
  out: classifier(5)
}
"""


def test_every_op_ejects_to_the_same_module() -> None:
    source, model = _source(EVERY_OP)
    _agrees_with_build(source, model, batch=4)
    # A numbered step with weights among labelled ones keeps its number.
    assert "from collections import OrderedDict" in source
    assert '("2", nn.Linear(128, 32))' in source
    # A block of labelled steps: attributes, and a forward pass through them.
    assert "class Classifier(nn.Module):" in source
    assert "        x = self.fc(x)\n        return self.probs(x)\n" in source
    # Copies that differ by the loop variable: a loop over it, each width a formula of it.
    assert "16 if i == 0 else 16 + 8 * (i - 1),\n" in source
    assert "for i in range(3)" in source


GATES = """
block gate(squeeze, hard=false) {
  let c = in.channels
  let w = in.width
  mul { | identity | avgpool(global) -> conv(squeeze, 1x1) -> relu -> conv(c, 1x1) -> sigmoid }
  if hard { mul { | identity | avgpool(global) -> flatten -> linear(w) -> hardsigmoid } }
}

model gates {
  input [6, 5, 7]
  conv(12, 3x3, padding=1)
  gate(3) -> gate(4, hard=true)
  residual { conv(12, 1x1) -> stochastic_depth(0.4) }
  residual { conv(12, 1x1) -> stochastic_depth(0.3, mode=batch) }
  avgpool(global) -> flatten -> linear(4)
}
"""


def test_gates_and_stochastic_depth_eject_to_the_same_module() -> None:
    source, model = _source(GATES)
    ejected = _agrees_with_build(source, model, batch=3)
    assert {h for h in ("Mul", "StochasticDepth", "Residual") if f"\nclass {h}(" in source} == {
        "Mul",
        "StochasticDepth",
        "Residual",
    }
    assert "StochasticDepth(0.4)" in source
    assert 'StochasticDepth(0.3, mode="batch")' in source
    assert "nn.Hardsigmoid(inplace=True)" in source
    # While training, the same random draws drop the same samples in both.
    built = archdsl.build(model)
    built.load_state_dict(ejected.state_dict())
    x = torch.randn(8, *model.input)
    torch.manual_seed(3)
    want = built.train()(x)
    torch.manual_seed(3)
    torch.testing.assert_close(ejected.train()(x), want)


def test_cli_writes_source_that_runs_without_archdsl(tmp_path: Path) -> None:
    target = tmp_path / "resnet18.py"
    result = run_cli("eject", "specs/resnet18.arch", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert f"wrote {target}: resnet18 as" in result.stdout
    code = (
        "import runpy, sys\n"
        "sys.modules['archdsl'] = None  # importing archdsl now fails\n"
        f"namespace = runpy.run_path({str(target)!r})\n"
        "model = namespace['Resnet18']()\n"
        "print(sum(p.numel() for p in model.parameters()))\n"
    )
    run = run_python(code, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "11689512"


def test_cli_counts_in_words(tmp_path: Path) -> None:
    target = tmp_path / "mlp.py"
    result = run_cli("eject", "specs/mlp.arch", "-o", str(target))
    lines = target.read_text().count("\n")
    assert result.stdout.strip() == f"wrote {target}: mlp as 1 class in {lines} lines"


def test_cli_prints_source_for_dash() -> None:
    result = run_cli("eject", "specs/mlp.arch", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "class Mlp(nn.Module):" in result.stdout
    assert "        self.hidden1 = nn.Sequential(nn.Linear(3072, 512), nn.ReLU(inplace=True))" in (
        result.stdout
    )


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    missing = run_cli("eject", "specs/nope.arch", "-o", str(tmp_path / "m.py"))
    assert missing.returncode == 2
    assert "no such file: specs/nope.arch" in missing.stderr
    nowhere = run_cli("eject", "specs/mlp.arch", "-o", str(tmp_path / "no" / "m.py"))
    assert nowhere.returncode == 2
    assert "no such directory" in nowhere.stderr
    models = tmp_path / "two.arch"
    models.write_text(
        "model a {\n  input [4]\n  linear(2)\n}\nmodel b {\n  input [4]\n  linear(3)\n}\n"
    )
    ambiguous = run_cli("eject", str(models), "-o", str(tmp_path / "m.py"))
    assert ambiguous.returncode == 2
    assert "several models (a, b); name one" in ambiguous.stderr
    picked = run_cli("eject", str(models), "--model", "b", "-o", str(tmp_path / "m.py"))
    assert picked.returncode == 0, picked.stderr
    assert "nn.Linear(4, 3)" in (tmp_path / "m.py").read_text()
    for result in (missing, nowhere, ambiguous):
        assert "Traceback" not in result.stderr
