"""`graph`, the receptive field and `diff` on graphs of named values."""

from __future__ import annotations

from pathlib import Path

import archdsl
from archdsl.analysis.diff import diff_models
from archdsl.analysis.receptive_field import receptive_fields, undefined
from tests.diagram_parsers import parse_dot, parse_mermaid
from tests.helpers import run_cli

UNET = """
block down(width) {
  maxpool(2x2) -> conv(width, 3x3, padding=1) -> relu
}

model unet_like {
  input image: [1, 16, 16]
  e1 = conv(8, 3x3, padding=1) -> relu
  e2 = down(16)
  low, high = split([4, 12])
  e3 = low -> conv(16, 3x3, padding=1) -> relu
  d2 = concat(e3, e2, high) -> conv(8, 3x3, padding=1) -> relu
  up = conv(8, 1x1) -> flatten
  skip = e1 -> maxpool(2x2) -> flatten
  concat(up, skip) -> linear(2)
}
"""


def _graph(tmp_path: Path, suffix: str) -> str:
    spec = tmp_path / "unet.arch"
    spec.write_text(UNET)
    target = tmp_path / f"unet{suffix}"
    result = run_cli("graph", str(spec), "-o", str(target))
    assert result.returncode == 0, result.stderr
    return target.read_text()


def test_dot_draws_every_value_read_long_skips_included(tmp_path: Path) -> None:
    graph = parse_dot(_graph(tmp_path, ".dot"))
    titles = {node: lines[0] for node, lines in graph.labels.items()}
    edges = sorted((titles[s], titles[d], label) for s, d, label in graph.edges)
    # the first relu (`e1`) feeds the encoder block and, at the very end, the skip's pool
    assert [(d, label) for s, d, label in edges if s == "relu" and label == "8x16x16"] == [
        ("maxpool(2x2)", "8x16x16"),
        ("maxpool(2x2)", "8x16x16"),
    ]
    (concat3,) = [n for n, t in titles.items() if t == "concat" and len(graph.preds(n)) == 3]
    assert sorted(label for _, d, label in graph.edges if d == concat3) == [
        "12x8x8",  # high, the second part of the split
        "16x8x8",  # e3
        "16x8x8",  # e2, out of the block
    ]
    assert ("split([4, 12])", "conv(16, 3x3, padding=1)", "4x8x8") in edges  # low flows on
    assert len(graph.edges) == 21 and len(graph.labels) == 19  # 17 steps, input, output
    assert graph.clusters == ["down(16)"]  # clusters still follow blocks


def test_mermaid_draws_the_same_graph(tmp_path: Path) -> None:
    dot = parse_dot(_graph(tmp_path, ".dot"))
    mermaid = parse_mermaid(_graph(tmp_path, ".mmd"))
    assert sorted(dot.edges) == sorted(mermaid.edges)
    assert mermaid.clusters == ["down(16)"]


def test_receptive_field_is_the_largest_over_paths() -> None:
    model = archdsl.load(UNET).model()
    fields = receptive_fields(model)
    assert fields is not None
    size = {path: f.size[0] for path, f in fields.items()}
    # conv3 (3), pool2 (4, jump 2), conv3 (8); split keeps it; conv3 (12)
    assert (size["0"], size["2.0"], size["2"], size["3"], size["4"]) == (3, 4, 8, 8, 12)
    # concat(e3, e2, high) takes the widest of 12, 8 and 8; the conv after it adds 2 * 2
    assert (size["6"], size["7"]) == (12, 16)
    # the long skip: e1 (3) pooled is 4, narrower than the decoder's path
    assert size["11"] == 4
    assert fields["10"].whole and fields["13"].whole  # flatten sees the whole input
    assert undefined(model) == {}


def test_receptive_field_says_where_it_is_not_defined() -> None:
    spec = """
model m {
  input image: [3, 8, 8]
  input side: [6]
  patches = conv(16, 4x4, stride=4)
  cls = param([16, 1, 2])
  seq = concat(cls, patches, dim=1)
  s = side -> linear(6)
  seq -> avgpool(global) -> flatten -> linear(6)
  add(s)
}
"""
    model = archdsl.load(spec.replace("add(s)", "out = linear(6)\n  add(out, s)")).model()
    fields = receptive_fields(model)
    assert fields is not None and fields["2"].size == (4, 4)  # the class token adds nothing
    assert undefined(model) == {
        "side": "not an image",
        "cls": "a learned tensor, the same for every sample",
        "s": "not an image",
    }
    assert fields["8"].whole  # add(out, s): from the image, the whole of it


def test_diff_reports_a_moved_skip() -> None:
    a = archdsl.load(UNET).model()
    b = archdsl.load(UNET.replace("concat(e3, e2, high)", "concat(e2, e3, high)")).model()
    diff = diff_models(a, b)
    (step,) = diff.steps
    assert step.entry.path == "6"
    assert step.entry.differs == ("reads",)
    assert step.entry.reads == (("e3", "e2", "high"), ("e2", "e3", "high"))
    assert diff_models(a, archdsl.load(UNET).model()).identical
