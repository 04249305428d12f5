"""`archdsl diff`: layers added, removed and changed between two specs, with totals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archdsl
from archdsl.analysis.diff import diff_models
from tests.helpers import SPECS, run_cli

RESNET = """\
use "{lib}"

model {name} {{
  input [3, 224, 224]
  stem:   imagenet_stem
  layer1: basic_stage(64, {b1})
  layer2: basic_stage(128, {b2}, stride=2)
  layer3: basic_stage(256, {b3}, stride=2)
  layer4: basic_stage(512, {b4}, stride=2)
  head:   avgpool(global) -> flatten -> linear(1000)
}}
"""
EXTRA_BLOCKS = [
    "layer1.1.1",
    "layer2.1.1",
    "layer2.1.2",
    "layer3.1.1",
    "layer3.1.2",
    "layer3.1.3",
    "layer3.1.4",
    "layer4.1.1",
]


def resnet_spec(tmp_path: Path, name: str, blocks: tuple[int, int, int, int]) -> Path:
    spec = tmp_path / f"{name}.arch"
    lib = (SPECS / "lib" / "resnet.arch").as_posix()
    b1, b2, b3, b4 = blocks
    spec.write_text(RESNET.format(lib=lib, name=name, b1=b1, b2=b2, b3=b3, b4=b4))
    return spec


@pytest.fixture
def resnets(tmp_path: Path) -> tuple[Path, Path]:
    return (
        resnet_spec(tmp_path, "resnet18", (2, 2, 2, 2)),
        resnet_spec(tmp_path, "resnet34", (3, 4, 6, 3)),
    )


def rows(stdout: str, mark: str) -> list[str]:
    """The layer paths of the table rows marked `+`, `-` or `~`."""
    return [line.split()[1] for line in stdout.splitlines() if line.startswith(mark + " ")]


def test_resnet18_to_34_lists_exactly_the_extra_blocks(resnets: tuple[Path, Path]) -> None:
    result = run_cli("diff", str(resnets[0]), str(resnets[1]))
    assert result.returncode == 1, result.stderr
    assert rows(result.stdout, "+") == EXTRA_BLOCKS
    assert rows(result.stdout, "-") == []
    assert rows(result.stdout, "~") == ["layer1", "layer2", "layer3", "layer4"]
    lines = result.stdout.splitlines()
    totals = [line.split() for line in lines if line.startswith(("resnet18  ", "resnet34  "))]
    assert totals == [
        ["resnet18", "11,689,512", "1,814,073,344"],
        ["resnet34", "21,797,672", "3,663,761,408"],
    ]
    difference = next(line for line in lines if line.startswith("difference"))
    assert difference.split() == ["difference", "+10,108,160", "+1,849,688,064"]
    assert "8 added, 0 removed, 0 changed in 4 of 6 top-level steps" in result.stdout
    added = next(line for line in lines if line.startswith("+ ") and "layer3.1.4" in line)
    assert "basic(256)" in added and "+1,180,672" in added


def test_resnet18_to_34_json(resnets: tuple[Path, Path]) -> None:
    result = run_cli("diff", str(resnets[0]), str(resnets[1]), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["a"]["params"] == 11_689_512
    assert report["b"]["params"] == 21_797_672
    assert report["params_diff"] == 10_108_160
    assert report["macs_diff"] == 3_663_761_408 - 1_814_073_344
    assert report["identical"] is False
    assert report["counts"] == {"added": 8, "removed": 0, "changed": 0}
    details = [d for step in report["steps"] for d in step["details"]]
    assert [d["path"] for d in details] == EXTRA_BLOCKS
    assert all(d["status"] == "added" and d["a"] is None for d in details)
    assert sum(d["params_diff"] for d in details) == 10_108_160
    layer1 = report["steps"][0]
    assert layer1["path"] == "layer1"
    assert layer1["differs"] == ["call", "params", "macs"]
    assert layer1["a"]["summary"] == "basic_stage(64, 2)"
    assert layer1["b"]["summary"] == "basic_stage(64, 3)"


def test_the_other_way_round_removes_them(resnets: tuple[Path, Path]) -> None:
    result = run_cli("diff", str(resnets[1]), str(resnets[0]), "--json")
    report = json.loads(result.stdout)
    assert report["params_diff"] == -10_108_160
    assert report["counts"] == {"added": 0, "removed": 8, "changed": 0}


def test_identical_specs_exit_0(resnets: tuple[Path, Path]) -> None:
    result = run_cli("diff", str(resnets[0]), str(resnets[0]))
    assert result.returncode == 0, result.stderr
    assert "The models are identical" in result.stdout
    assert rows(result.stdout, "~") == []
    report = json.loads(run_cli("diff", str(resnets[0]), str(resnets[0]), "--json").stdout)
    assert report["identical"] is True
    assert report["steps"] == []
    assert report["params_diff"] == 0


@pytest.mark.skipif(
    not (SPECS / "resnet18.arch").exists() or not (SPECS / "resnet34.arch").exists(),
    reason="the zoo's ResNet-18/34 specs are not in this checkout",
)
def test_zoo_resnet18_to_34() -> None:
    result = run_cli("diff", "specs/resnet18.arch", "specs/resnet34.arch", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["params_diff"] == 10_108_160
    assert report["counts"] == {"added": 8, "removed": 0, "changed": 0}
    details = [d for step in report["steps"] for d in step["details"]]
    assert all(d["b"]["kind"] == "block" for d in details)


def load(text: str) -> archdsl.Model:
    return archdsl.load(text).model()


def test_an_unlabelled_insertion_does_not_renumber_the_rest() -> None:
    a = load("model m { input [3, 8, 8]\n conv(4, 3x3) -> relu -> conv(4, 3x3) -> relu }")
    b = load(
        "model m { input [3, 8, 8]\n conv(4, 3x3) -> relu -> dropout -> conv(4, 3x3) -> relu }"
    )
    diff = diff_models(a, b)
    assert [(s.entry.status, s.entry.path) for s in diff.steps] == [("added", "2")]
    assert diff.counts() == {"added": 1, "removed": 0, "changed": 0}


def test_changed_block_calls_are_not_opened_unless_asked(tmp_path: Path) -> None:
    a = load(
        "block cbr(c) { conv(c, 3x3, padding=1) -> batchnorm -> relu }\n"
        "model m { input [3, 8, 8]\n"
        " body: { cbr(8) -> cbr(8) }\n"
        " head: avgpool(global) -> flatten -> linear(10) }"
    )
    b = load(
        "block cbr(c) { conv(c, 3x3, padding=1) -> batchnorm -> relu }\n"
        "model m { input [3, 8, 8]\n"
        " body: { cbr(16) -> cbr(8) }\n"
        " head: avgpool(global) -> flatten -> linear(10) }"
    )
    diff = diff_models(a, b)
    (step,) = diff.steps
    assert step.entry.path == "body"
    # cbr(8) -> cbr(16) stands for its conv and batchnorm; the next block is written
    # the same but its conv now takes 16 channels, so that conv is the change.
    assert [(e.path, e.differs) for e in step.details] == [
        ("body.0", ("call", "output", "params", "macs")),
        ("body.1.0", ("input", "params", "macs")),
    ]
    assert step.entry.params_delta == (16 * 27 + 16 + 32 + 8 * 144 + 8) - (
        8 * 27 + 8 + 16 + 8 * 72 + 8
    )
    everything = diff_models(a, b, everything=True)
    assert [e.path for e in everything.steps[0].details] == [
        "body.0", "body.0.0", "body.0.1", "body.0.2", "body.1", "body.1.0"
    ]  # fmt: skip


def test_models_by_name_and_errors(tmp_path: Path) -> None:
    two = tmp_path / "two.arch"
    two.write_text(
        "model small { input [4]\n linear(2) }\n"
        "model large { input [4]\n linear(8) -> linear(2) }\n"
    )
    result = run_cli("diff", str(two), str(two), "--model-a", "small", "--model-b", "large")
    assert result.returncode == 1, result.stderr
    assert rows(result.stdout, "~") == ["0"]
    assert rows(result.stdout, "+") == ["1"]
    result = run_cli("diff", str(two), str(two), "--model-a", "small")
    assert result.returncode == 2
    assert "several models (small, large); choose one with --model-b" in result.stderr
    bad = tmp_path / "bad.arch"
    bad.write_text("model m { input [3, 8, 8]\n conv(4, 9x9) }\n")
    result = run_cli("diff", str(bad), str(two), "--model-b", "small")
    assert result.returncode == 2
    assert "bad.arch:2:2: error:" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("diff", str(tmp_path / "none.arch"), str(bad))
    assert result.returncode == 2
    assert "no such file" in result.stderr
