"""The model zoo: every spec checks, and matches its reference's published numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import archdsl
from archdsl.report import zoo_table
from archdsl.report.spec_lines import spec_lines
from tests.helpers import ROOT, SPECS, run_cli

# The published figures (parameters, MACs, input) of each reference model, kept with
# the tests so that a fresh clone checks every spec against them.
GROUND_TRUTH = ROOT / "tests" / "reference" / "ground_truth.json"

# Every zoo spec, with the output its model must give.
ZOO_OUTPUTS = {
    "logistic_regression": [1],
    "softmax_regression": [10],
    "mlp": [10],
    "convnet": [10],
    "alexnet": [1000],
    "alexnet_original": [1000],
    "vgg11": [1000],
    "vgg11_bn": [1000],
    "vgg16": [1000],
    "vgg16_bn": [1000],
    "vgg19": [1000],
    "resnet18": [1000],
    "resnet34": [1000],
    "resnet50": [1000],
    "resnet152": [1000],
    "resnet20_cifar": [10],
    "resnet9_cifar": [10],
    "airbench94": [10],
    "googlenet": [1000],
    "inception_v3": [1000],
    "inception_v4": [1000],
    "inception_resnet_v2": [1000],
    "mobilenet_v1": [1000],
    "mobilenet_v2": [1000],
    "mobilenet_v3_large": [1000],
    "efficientnet_b0": [1000],
    "regnet_y_400mf": [1000],
    "swin_t": [1000],
    "shufflenet_v2_x1_0": [1000],
    "unet": [2, 256, 256],
    "convnext_tiny": [1000],
    "vit_b_16": [1000],
    "text_transformer": [4],
    "digits_gru": [10],
}

# ground_truth.json counts Inception-v3 as torchvision's aux_logits=False builds it;
# the spec has the auxiliary head too (tests/test_zoo_modern.py counts it).
COUNTED_WITHOUT = {"inception_v3": "aux"}


@pytest.fixture(scope="module")
def ground_truth() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", sorted(ZOO_OUTPUTS))
def test_zoo_spec_matches_its_reference(name: str, ground_truth: dict[str, Any]) -> None:
    model = archdsl.load(SPECS / f"{name}.arch").model()
    assert model.name == name
    assert list(model.output) == ZOO_OUTPUTS[name]
    reference = ground_truth.get(name)
    if reference is None:
        return  # a teaching model or a variant with no published figure
    assert list(model.input) == reference["input"]
    params, macs = model.params, model.macs
    if name in COUNTED_WITHOUT:
        left_out = next(n for n in model.root.children if n.path == COUNTED_WITHOUT[name])
        params, macs = params - left_out.params, macs - left_out.macs
    assert params == reference["params"]
    if "macs" in reference:
        assert macs == reference["macs"]


def test_every_reference_model_has_a_spec(ground_truth: dict[str, Any]) -> None:
    assert set(ground_truth) <= set(ZOO_OUTPUTS)
    assert set(ZOO_OUTPUTS) <= {p.stem for p in SPECS.glob("*.arch")}


@pytest.mark.parametrize(
    ("name", "params", "macs"),
    [
        ("resnet50", 25_557_032, 4_089_184_256),
        ("googlenet", 6_624_904, 1_498_376_192),
        ("mobilenet_v2", 3_504_872, 300_774_272),
    ],
)
def test_check_json_reports_published_counts(name: str, params: int, macs: int) -> None:
    result = run_cli("check", f"specs/{name}.arch", "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)["models"]
    assert (report["name"], report["params"], report["macs"]) == (name, params, macs)


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("resnet50", 40),
        ("googlenet", 40),
        ("mobilenet_v2", 40),
        ("inception_v3", 100),
        ("efficientnet_b0", 40),
        ("swin_t", 60),
        ("shufflenet_v2_x1_0", 40),
        ("unet", 30),
        ("vit_b_16", 40),
    ],
)
def test_spec_with_its_library_blocks_is_short(name: str, limit: int) -> None:
    lines = spec_lines(SPECS / f"{name}.arch")
    assert lines.library > 0  # the library blocks are counted, not left out
    assert lines.total <= limit


def test_spec_lines_counts_only_code_of_used_blocks(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.arch").write_text(
        "# a library\n"
        "block unit(out) {\n"
        "  # a comment inside\n"
        "  conv(out, 3x3, padding=1) -> relu\n"
        "\n"
        "}\n"
        "block pair(out) {\n"
        "  unit(out) -> unit(out)\n"
        "}\n"
        "block unused() {\n"
        "  relu\n"
        "}\n"
        "block inner_branch() {\n"
        "  identity\n"
        "}\n",
        encoding="utf-8",
    )
    spec = tmp_path / "net.arch"
    spec.write_text(
        'use "lib/blocks.arch"\n'
        "\n"
        "model net {  # trailing comments keep their line\n"
        "  input [3, 8, 8]\n"
        "  pair(4)\n"
        "  if false { inner_branch } else { identity }\n"
        "}\n",
        encoding="utf-8",
    )
    lines = spec_lines(spec)
    assert (lines.own, lines.library, lines.total) == (6, 9, 15)
    assert set(lines.blocks) == {"pair", "unit", "inner_branch"}


def test_committed_zoo_table_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "archdsl.report.zoo_table", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_zoo_table_check_catches_a_stale_file(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    readme = specs / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("25,557,032", "25,557,033"))
    assert zoo_table.main(["--check", "--specs", str(specs)]) == 1
    assert zoo_table.main(["--specs", str(specs)]) == 0
    assert zoo_table.main(["--check", "--specs", str(specs)]) == 0
    row = next(line for line in readme.read_text().splitlines() if "[resnet50]" in line)
    assert row.split(" | ")[2:6] == [
        "11 + 17 = 28",
        "25,557,032",
        "4,089,184,256",
        "torchvision `resnet50`",
    ]
