"""`archdsl graph` drawings people can read: no edge through a box's title, long
chains folded into columns, long skips drawn as the one graph they are.

Geometry is read back from Graphviz's own layout (`dot -Tjson`), in points.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

import archdsl
from archdsl.graph import dot
from archdsl.graph.columns import fold
from archdsl.graph.diagram import Cluster, Diagram, build_diagram, nesting
from tests.diagram_parsers import parse_dot
from tests.helpers import ROOT

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def diagram(name: str, depth: int | None = 1) -> Diagram:
    return build_diagram(archdsl.load(ROOT / "specs" / f"{name}.arch").model(), depth)


def layout(dot_text: str) -> dict[str, Any]:
    result = subprocess.run(["dot", "-Tjson"], input=dot_text, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    drawn: dict[str, Any] = json.loads(result.stdout)
    return drawn


def text_boxes(obj: dict[str, Any]) -> list[Box]:
    """The box of each line of text an object draws (its `_ldraw_`)."""
    boxes: list[Box] = []
    size = 14.0
    for op in obj.get("_ldraw_", []):
        if op["op"] == "F":
            size = op["size"]
        elif op["op"] == "T":
            (x, y), width = op["pt"], op["width"]
            left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            boxes.append((left, y - 0.25 * size, left + width, y + 0.8 * size))
    return boxes


def curve_points(edge: dict[str, Any], steps: int = 16) -> list[tuple[float, float]]:
    """Points along an edge as drawn: its cubic Béziers sampled, and its arrowhead."""
    points: list[tuple[float, float]] = []
    for op in edge.get("_draw_", []):
        if op["op"] != "b":
            continue
        ctrl = op["points"]
        for i in range(0, len(ctrl) - 3, 3):
            p0, p1, p2, p3 = ctrl[i : i + 4]
            for k in range(steps + 1):
                t = k / steps
                a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
                points.append(
                    (
                        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
                    )
                )
    for op in edge.get("_hdraw_", []):
        if op["op"] in ("P", "p"):
            points += [(x, y) for x, y in op["points"]]
    return points


def title_boxes(drawn: dict[str, Any]) -> list[Box]:
    """Where each box's title is written: a cluster's own label, or its title node."""
    boxes: list[Box] = []
    for obj in drawn["objects"]:
        if obj["name"].startswith("cluster_") or re.fullmatch(r"c\d+_title", obj["name"]):
            boxes += text_boxes(obj)
    return boxes


def inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] < point[0] < box[2] and box[1] < point[1] < box[3]


def crossings(dot_text: str) -> tuple[int, int, list[str]]:
    """(titles, drawn edges, `edge crosses title` for each edge drawn through a title)."""
    drawn = layout(dot_text)
    boxes = title_boxes(drawn)
    names = [obj["name"] for obj in drawn["objects"]]
    drawn_edges = [e for e in drawn["edges"] if e.get("style") != "invis"]
    found = [
        f"{names[e['tail']]}->{names[e['head']]} crosses {box}"
        for e in drawn_edges
        for box in boxes
        if any(inside(p, box) for p in curve_points(e))
    ]
    return len(boxes), len(drawn_edges), found


@needs_dot
@pytest.mark.parametrize(
    ("name", "depth"),
    [("resnet50", 1), ("resnet50", None), ("googlenet", 1), ("unet", 1), ("inception_v3", 1)],
)
def test_no_edge_runs_through_a_box_title(name: str, depth: int | None) -> None:
    """Before titles were nodes, the edge into ResNet-50's stem crossed `stem: imagenet_stem`
    and every stage's edge crossed the next stage's title."""
    drawing = diagram(name, depth)
    clusters = sum(1 for _, item in nesting(drawing.root) if isinstance(item, Cluster))
    titles, edges, found = crossings(dot.to_dot(drawing))
    assert titles == clusters > 0  # every box has its title, one line each
    assert edges == len(drawing.edges)
    assert found == []


@needs_dot
def test_a_cluster_label_would_be_crossed() -> None:
    """The check above can fail: a title written as the cluster's label is crossed by
    the edge entering the box, as Graphviz places it."""
    text = dot.to_dot(diagram("resnet50"))
    as_labels = re.sub(
        r"\n(\s*)(c\d+)_title \[label=(\"[^\"]*\"), [^\n]*",
        lambda m: f"\n{m[1]}label={m[3]};",
        text,
    )
    as_labels = re.sub(r"\n\s*\{rank=same; c\d+_title[^\n]*", "", as_labels)
    titles, _, found = crossings(as_labels)
    assert titles == 6
    assert any(item.startswith("n0->n1 crosses") for item in found)  # input into the stem


def test_titles_are_nodes_beside_the_first_node_of_their_box() -> None:
    text = dot.to_dot(diagram("resnet50", None))
    assert not [line for line in text.splitlines() if line.strip().startswith("label=")]
    graph = parse_dot(text)
    assert graph.clusters[:3] == [
        "stem: imagenet_stem",
        "layer1: bottleneck_stage(64, 3)",
        "bottleneck(64, 1)",
    ]
    rows = re.findall(r"\{rank=same; ([\w -> ]+) \[style=invis\];\}", text)
    # layer1 and its first bottleneck open at the same node: both titles, outer first.
    first = graph.with_title("conv(64, 1x1, bias=false)")[0]
    assert f"c1_title -> c2_title -> {first}" in rows
    assert "c0_title -> n1" in rows  # the stem's conv
    assert "newrank=true" in text  # a row may hold nodes of nested boxes


def test_resnet50_expanded_is_folded_into_columns_at_stage_boundaries() -> None:
    drawing = diagram("resnet50", None)
    folded = fold(drawing)
    assert folded is not None
    titles = {n: node.lines[0] for n, node in drawing.nodes.items()}
    # Three columns: the input's, then two starting at a stage's first conv.
    assert len(folded.heads) == 3
    assert titles[folded.heads[0]] == "input"
    paths = [drawing.nodes[h].path for h in folded.heads[1:]]
    assert all(re.fullmatch(r"layer[234]\.0\.0\.body\.0", p) for p in paths), paths
    # The jumps are the edges from a stage's last relu into the next: body and projection.
    jumps = sorted((titles[s], titles[d]) for s, d in folded.jumps)
    assert len(jumps) == 4
    assert {s for s, _ in jumps} == {"relu"}
    text = dot.to_dot(drawing)
    assert text.count("constraint=false") == 4
    assert f"{{rank=same; {' -> '.join(folded.heads)} [style=invis];}}" in text
    # Folding changes the drawing, not the graph.
    assert len(parse_dot(text).edges) == len(drawing.edges)


@pytest.mark.parametrize(("name", "depth"), [("resnet50", 1), ("unet", 1), ("googlenet", 1)])
def test_short_or_skipping_graphs_stay_one_column(name: str, depth: int | None) -> None:
    """ResNet-50 collapsed and GoogLeNet are not long enough to fold; U-Net's skips
    cross every point where its chain could fold, so it stays one graph, in one column."""
    assert fold(diagram(name, depth)) is None
    assert "constraint=false" not in dot.to_dot(diagram(name, depth))


@needs_dot
def test_resnet50_expanded_is_at_most_six_times_as_tall_as_wide() -> None:
    """It was 657 x 15,996 px (1:24) as one column; labels keep their size."""
    drawn = layout(dot.to_dot(diagram("resnet50", None)))
    _, _, width, height = map(float, drawn["bb"].split(","))
    assert max(width, height) / min(width, height) <= 6
    fonts = {obj["fontsize"] for obj in drawn["objects"] if obj["name"].startswith("n")}
    assert fonts == {"10", "9"}  # ops and merges; no label is shrunk to fit


def test_unet_skips_and_inception_aux_head_are_one_graph() -> None:
    unet = parse_dot(dot.to_dot(diagram("unet")))
    titles = {n: lines[0] for n, lines in unet.labels.items()}
    into_concats = sorted(label for _, d, label in unet.edges if titles[d] == "concat")
    # Each decoder's concat reads its upsampling and its encoder's skip, same shape.
    assert into_concats == sorted(
        f"{c}x{s}x{s}" for c, s in [(64, 256), (128, 128), (256, 64), (512, 32)] for _ in "ab"
    )
    inception = parse_dot(dot.to_dot(diagram("inception_v3")))
    ios = [lines for lines in inception.labels.values() if lines[0].startswith(("in", "out"))]
    assert [lines for lines in ios if lines[0] in ("input", "output logits", "output aux")] == [
        ["input", "3x299x299"],
        ["output logits", "1000"],
        ["output aux", "1000"],
    ]
    (aux,) = [n for n, lines in inception.labels.items() if lines[0] == "output aux"]
    assert [label for _, d, label in inception.edges if d == aux] == ["1000"]


@needs_dot
def test_expanded_googlenet_keeps_every_concat_in_branch_order() -> None:
    """With every block opened, each branch starts in a box of its own; the first is
    still drawn leftmost. Box titles written as cluster labels (and no `newrank`)
    had all nine modules drawn in other orders."""
    drawing = diagram("googlenet", None)
    drawn = layout(dot.to_dot(drawing))
    x = {o["name"]: float(o["pos"].split(",")[0]) for o in drawn["objects"] if "pos" in o}
    modules = sorted(
        {n.path.split(".")[0] for n in drawing.nodes.values() if "inception" in n.path}
    )
    assert len(modules) == 9
    for module in modules:
        heads = [
            min((n for n in drawing.nodes.values() if n.path.startswith(f"{module}.0.{i}.")),
                key=lambda n: int(n.id.removeprefix("n"))).id
            for i in range(4)
        ]  # fmt: skip
        assert [x[h] for h in heads] == sorted(x[h] for h in heads), module
