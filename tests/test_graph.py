"""`archdsl graph`: the diagrams' structure, read back from Mermaid, DOT and SVG."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import archdsl
from archdsl.graph import dot, mermaid
from archdsl.graph.diagram import Cluster, Diagram, DiagramNode, Edge, build_diagram
from archdsl.report.summary import layer_count
from tests.diagram_parsers import Graph, parallel_paths, parse_dot, parse_mermaid, parse_svg
from tests.helpers import ROOT, run_cli

HAS_DOT = shutil.which("dot") is not None

INCEPTION = """
block conv_bn(out, kernel, padding=0) {
  conv(out, kernel, padding=padding, bias=false) -> batchnorm(eps=0.001) -> relu
}

block inception(c1, r3, c3, r5, c5, cp) {
  concat {
    | conv_bn(c1, 1x1)
    | conv_bn(r3, 1x1) -> conv_bn(c3, 3x3, padding=1)
    | conv_bn(r5, 1x1) -> conv_bn(c5, 3x3, padding=1)
    | maxpool(3x3, stride=1, padding=1, ceil_mode=true) -> conv_bn(cp, 1x1)
  }
}

model mini_googlenet {
  input [3, 64, 64]
  stem: conv_bn(64, 7x7, padding=3) -> maxpool(3x3, stride=2, ceil_mode=true)
  inception3a: inception(64, 96, 128, 16, 32, 32)
  inception3b: inception(128, 128, 192, 32, 96, 64)
  head: avgpool(global) -> flatten -> dropout(0.2) -> linear(10)
}
"""

# The four branches of inception3a, each as the titles of its nodes.
BRANCHES_3A = sorted(
    [
        ["conv_bn(64, 1x1)"],
        ["conv_bn(96, 1x1)", "conv_bn(128, 3x3, padding=1)"],
        ["conv_bn(16, 1x1)", "conv_bn(32, 3x3, padding=1)"],
        [
            "maxpool(3x3, stride=1, padding=1, ceil_mode=true)",
            "conv_bn(32, 1x1)",
        ],
    ]
)
EDGES_INTO_3A = ["64x32x32", "128x32x32", "32x32x32", "32x32x32"]


@pytest.fixture
def inception_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "mini_googlenet.arch"
    spec.write_text(INCEPTION)
    return spec


def draw(spec: Path, out: Path, *flags: str) -> str:
    result = run_cli("graph", str(spec), "-o", str(out), *flags)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return "" if out.suffix == ".png" else out.read_text()


def check_inception(graph: Graph) -> None:
    """Both modules are concats of four disjoint paths from one fork, as in the spec."""
    graph.check_closed()
    merges = graph.with_title("concat")
    assert len(merges) == 2
    first = min(merges, key=lambda n: int(n.removeprefix("n")))
    fork, paths = parallel_paths(graph, first)
    assert len(paths) == 4
    assert graph.labels[fork][0] == "maxpool(3x3, stride=2, ceil_mode=true)"
    assert sorted([graph.labels[n][0] for n in p] for p in paths) == BRANCHES_3A
    into = sorted(label for s, d, label in graph.edges if d == first)
    assert into == sorted(EDGES_INTO_3A)
    out_edges = [label for s, d, label in graph.edges if s == first]
    assert out_edges == ["256x32x32"] * 4  # fans out to the four branches of inception3b
    assert graph.params() == archdsl.load(INCEPTION).model().params
    assert "inception3a: inception(64, 96, 128, 16, 32, 32)" in graph.clusters


def test_mermaid_inception_has_four_parallel_paths(inception_spec: Path, tmp_path: Path) -> None:
    check_inception(parse_mermaid(draw(inception_spec, tmp_path / "g.mmd")))


def test_dot_inception_has_four_parallel_paths(inception_spec: Path, tmp_path: Path) -> None:
    check_inception(parse_dot(draw(inception_spec, tmp_path / "g.dot")))


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_svg_inception_has_four_parallel_paths(inception_spec: Path, tmp_path: Path) -> None:
    check_inception(parse_svg(draw(inception_spec, tmp_path / "g.svg")))


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_png_is_a_png(inception_spec: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.png"
    draw(inception_spec, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resnet50_views_from_collapsed_to_expanded(tmp_path: Path) -> None:
    model = archdsl.load("specs/resnet50.arch").model()
    spec = ROOT / "specs/resnet50.arch"
    collapsed = parse_mermaid(draw(spec, tmp_path / "c.mmd"))
    collapsed.check_closed()
    assert collapsed.clusters == [
        "stem: imagenet_stem",
        "layer1: bottleneck_stage(64, 3)",
        "layer2: bottleneck_stage(128, 4, stride=2)",
        "layer3: bottleneck_stage(256, 6, stride=2)",
        "layer4: bottleneck_stage(512, 3, stride=2)",
        "head",
    ]
    assert ["repeat(5) x bottleneck(256)", "5,585,920 params"] in (collapsed.labels.values())
    # A chain: every node but the output has one successor.
    assert all(len(collapsed.succs(n)) == 1 for n in collapsed.labels if n != "n16")
    assert len(collapsed.labels) == 2 + 4 + 4 * 2 + 3

    expanded = parse_mermaid(draw(spec, tmp_path / "e.mmd", "--expand"))
    expanded.check_closed()
    adds = expanded.with_title("add")
    assert len(adds) == 16
    assert len(expanded.labels) == 2 + layer_count(model) + 16
    for add in adds:
        _, paths = parallel_paths(expanded, add)
        assert len(paths) == 2
        body, shortcut = sorted(paths, key=len, reverse=True)
        assert [expanded.labels[n][0].split("(")[0] for n in body] == [
            "conv", "batchnorm", "relu", "conv", "batchnorm", "relu", "conv", "batchnorm"
        ]  # fmt: skip
        assert len(shortcut) in (0, 2)  # the identity, or a projection conv + batchnorm
    for graph in (collapsed, expanded):
        assert graph.params() == model.params == 25_557_032
    # Depth 2 opens the bottlenecks inside the stages: all there is in ResNet-50.
    deeper = parse_mermaid(draw(spec, tmp_path / "d.mmd", "--depth", "2"))
    assert deeper.labels == expanded.labels
    # Depth 0 closes the stages too: the stem, four stages and the head's three ops.
    top = parse_mermaid(draw(spec, tmp_path / "t.mmd", "--depth", "0"))
    assert [lines[0] for lines in top.labels.values()] == [
        "input",
        "stem: imagenet_stem",
        "layer1: bottleneck_stage(64, 3)",
        "layer2: bottleneck_stage(128, 4, stride=2)",
        "layer3: bottleneck_stage(256, 6, stride=2)",
        "layer4: bottleneck_stage(512, 3, stride=2)",
        "avgpool(global)",
        "flatten",
        "linear(1000)",
        "output",
    ]
    assert top.params() == model.params


def test_identity_shortcut_is_a_dashed_edge() -> None:
    model = archdsl.load(
        "model r { input [8, 8, 8]\n residual { conv(8, 3x3, padding=1) -> relu } }"
    ).model()
    text = mermaid.to_mermaid(build_diagram(model))
    assert '  n0 -.->|"8x8x8"| n3' in text.splitlines()
    assert '  n0 -->|"8x8x8"| n1' in text.splitlines()
    assert 'n3 [label="add", shape=ellipse' in dot.to_dot(build_diagram(model))
    assert "style=dashed" in dot.to_dot(build_diagram(model))


NASTY = 'say "hi" \\N & <b> #1 | `x`'


def nasty_diagram() -> Diagram:
    root = Cluster("root", "", [Cluster("c0", NASTY, ["n0"]), "n1"])
    nodes = {
        "n0": DiagramNode("n0", "op", (NASTY, "second line"), "a"),
        "n1": DiagramNode("n1", "io", ("output",), ""),
    }
    return Diagram(NASTY, nodes, [Edge("n0", "n1", NASTY)], root)


def test_labels_are_escaped() -> None:
    assert dot.quote('a "b" \\N\nc') == '"a \\"b\\" \\\\N\\nc"'
    assert mermaid.quote(('a "b" #1 <i> | `c` &', "d")) == (
        '"a #34;b#34; #35;1 #60;i#62; #124; #96;c#96; #38;<br/>d"'
    )
    graph = parse_mermaid(mermaid.to_mermaid(nasty_diagram()))
    assert graph.labels["n0"] == [NASTY, "second line"]
    assert graph.edges == [("n0", "n1", NASTY)]
    assert graph.clusters == [NASTY]
    graph = parse_dot(dot.to_dot(nasty_diagram()))
    assert graph.labels["n0"] == [NASTY, "second line"]
    assert graph.edges == [("n0", "n1", NASTY)]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_graphviz_reads_escaped_labels_back() -> None:
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=dot.to_dot(nasty_diagram()), capture_output=True, text=True
    )
    assert svg.returncode == 0, svg.stderr
    graph = parse_svg(svg.stdout)
    assert graph.labels["n0"] == [NASTY, "second line"]
    assert graph.edges == [("n0", "n1", NASTY)]


def test_missing_graphviz_names_the_package(inception_spec: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    args = ["graph", str(inception_spec), "-o", str(tmp_path / "g.svg")]
    result = subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": str(empty)},
    )
    assert result.returncode == 1
    assert "graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g.svg").exists()


def test_usage_errors(inception_spec: Path, tmp_path: Path) -> None:
    result = run_cli("graph", str(inception_spec), "-o", str(tmp_path / "g.pdf"))
    assert result.returncode == 2
    assert "ending in .svg, .png, .dot, .mmd" in result.stderr
    result = run_cli("graph", str(inception_spec), "-o", str(tmp_path / "nowhere" / "g.svg"))
    assert result.returncode == 2
    assert f"error: no such directory: {tmp_path / 'nowhere'}" in result.stderr
    two = tmp_path / "two.arch"
    two.write_text("model a { input [4]\n linear(2) }\nmodel b { input [4]\n linear(3) }\n")
    result = run_cli("graph", str(two), "-o", str(tmp_path / "g.mmd"))
    assert result.returncode == 2
    assert "several models (a, b); choose one with --model" in result.stderr
    result = run_cli("graph", str(two), "--model", "b", "-o", str(tmp_path / "g.mmd"))
    assert result.returncode == 0, result.stderr
    assert parse_mermaid((tmp_path / "g.mmd").read_text()).labels["n1"] == [
        "linear(3)",
        "15 params",
    ]
    bad = tmp_path / "bad.arch"
    bad.write_text("model m { input [3, 8, 8]\n conv(4, 9x9) }\n")
    result = run_cli("graph", str(bad), "-o", str(tmp_path / "g.mmd"))
    assert result.returncode == 1
    assert "bad.arch:2:2: error:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".mmd", ".dot", ".svg"])
def test_zoo_googlenet_modules_are_four_parallel_paths(suffix: str, tmp_path: Path) -> None:
    spec = ROOT / "specs" / "googlenet.arch"
    if not spec.exists():
        pytest.skip("specs/googlenet.arch is not in this checkout")
    if suffix == ".svg" and not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed")
    parse = {".mmd": parse_mermaid, ".dot": parse_dot, ".svg": parse_svg}[suffix]
    graph = parse(draw(spec, tmp_path / f"g{suffix}"))
    graph.check_closed()
    merges = graph.with_title("concat")
    assert len(merges) == 9  # inception3a ... inception5b
    for merge in merges:
        _, paths = parallel_paths(graph, merge)
        assert sorted(len(p) for p in paths) == [1, 2, 2, 2]
    assert graph.params() == archdsl.load(spec).model().params


def _branch_heads(dot_text: str) -> list[list[str]]:
    """Each `{rank=same; a -> b -> ...}` row, as the tooltips (IR paths) of its nodes."""
    paths = dict(re.findall(r"(n\d+) \[label=.*tooltip=\"([^\"]*)\"\];", dot_text))
    rows = re.findall(r"\{rank=same; ([n\d -> ]+) \[style=invis\];\}", dot_text)
    return [[paths[n] for n in row.split(" -> ")] for row in rows]


def test_dot_keeps_concat_branches_in_the_specs_order(inception_spec: Path, tmp_path: Path) -> None:
    text = draw(inception_spec, tmp_path / "g.dot")
    assert _branch_heads(text)[0] == [
        "inception3a.0.0.0",
        "inception3a.0.1.0",
        "inception3a.0.2.0",
        "inception3a.0.3.0",
    ]
    # The row sits in its cluster, or Graphviz would pull the nodes out of the box.
    cluster = text[text.index("inception3a: ") : text.index("inception3b: ")]
    assert "{rank=same; " in cluster


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_svg_draws_the_first_branch_leftmost(tmp_path: Path) -> None:
    """GoogLeNet's concat order is its channel order: branch 0 left, branch 3 right."""
    spec = ROOT / "specs/googlenet.arch"
    dot_text = draw(spec, tmp_path / "g.dot")
    svg = draw(spec, tmp_path / "g.svg")
    xs = {
        node: float(x)
        for node, x in re.findall(r"<title>(n\d+)</title>.*?<text [^>]*x=\"([\d.]+)\"", svg, re.S)
    }
    paths = dict(re.findall(r"(n\d+) \[label=.*tooltip=\"([^\"]*)\"\];", dot_text))
    by_path = {p: n for n, p in paths.items()}
    for module in ("inception3a", "inception4e", "inception5b"):
        heads = [by_path[f"{module}.0.{i}.0"] for i in range(4)]
        assert [xs[h] for h in heads] == sorted(xs[h] for h in heads), module


def test_rankdir_draws_left_to_right(inception_spec: Path, tmp_path: Path) -> None:
    assert "rankdir=LR" in draw(inception_spec, tmp_path / "g.dot", "--rankdir", "LR")
    assert "flowchart LR" in draw(inception_spec, tmp_path / "g.mmd", "--rankdir", "lr")
    assert "rankdir=TB" in draw(inception_spec, tmp_path / "t.dot")
    bad = run_cli("graph", str(inception_spec), "-o", str(tmp_path / "b.dot"), "--rankdir", "up")
    assert bad.returncode == 2
    assert "--rankdir must be TB or LR, not 'up'" in bad.stderr
