"""Where a long chain is folded into columns, so a deep model is drawn about as wide
as it is tall instead of as one strip many times taller than wide.

A diagram is folded only between two items of a box (or of the model) where a
single node feeds the item after it and nothing beyond: there the rest of the
drawing can start a new column beside the first, joined by the edges leaving
that node. Folds between the largest parts (ResNet's stages) come first; those
inside them only where the largest parts are too uneven. A graph whose long
skips cross every such point (a U-Net's encoder to its decoder) stays one
column. Sizes are estimated from the labels' lengths, in inches, as Graphviz
draws them with archdsl's fonts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import TopologicalSorter

from archdsl.graph.diagram import Cluster, Diagram, box_titles, nesting

CHAR = 0.078  # the width of one character of a 10-point Helvetica label
LINE = 0.18  # the height of one of its lines
NODE_PAD = (0.3, 0.15)  # a node's margins around its label, across and along
NODE_MIN = (0.75, 0.5)  # Graphviz's smallest node, width and height
RANK_GAP = 0.5  # between two ranks: ranksep twice (edge labels take a rank of their own)
NODE_GAP = 0.35  # between two nodes of one rank
LABEL_CHAR = 0.055  # the width of one character of an 8-point edge label
# Fold when one column would be more than LONGEST times as long as it is broad,
# into columns about ASPECT times as long as the whole drawing is broad.
LONGEST = 6.0
ASPECT = 1.5
SHORTER = 0.75  # fold only where that makes the longest column this much of the whole,
UNEVEN = 1.5  # and between smaller parts while it is this much longer than an even share


@dataclass(frozen=True, slots=True)
class Fold:
    """A folded drawing: the node each column starts with, and the edges between columns."""

    heads: list[str]  # the first node of every column, the first column's too
    jumps: set[tuple[str, str]]  # (src, dst) of the edges from one column into the next


def leaves(item: str | Cluster) -> list[str]:
    """The node ids of a node or a box, in drawing order."""
    if isinstance(item, str):
        return [item]
    return [n for _, n in nesting(item) if isinstance(n, str)]


def text_size(lines: tuple[str, ...]) -> tuple[float, float]:
    """(width, height) of a node showing `lines`, in inches."""
    width = max(len(line) for line in lines) * CHAR + NODE_PAD[0]
    height = len(lines) * LINE + NODE_PAD[1]
    return max(width, NODE_MIN[0]), max(height, NODE_MIN[1])


def ranks(diagram: Diagram) -> dict[str, int]:
    """Each node's rank: the longest path of edges from a node nothing feeds."""
    preds: dict[str, set[str]] = {n: set() for n in diagram.nodes}
    for edge in diagram.edges:
        preds[edge.dst].add(edge.src)
    rank: dict[str, int] = {}
    for node in TopologicalSorter(preds).static_order():
        rank[node] = max((rank[p] + 1 for p in preds[node]), default=0)
    return rank


def extents(diagram: Diagram, rank: dict[str, int]) -> tuple[list[float], list[float]]:
    """Per rank, how long the drawing is along it (height for TB) and how broad."""
    along = 1 if diagram.direction == "TB" else 0  # which of (width, height) runs along ranks
    length = [0.0] * (max(rank.values(), default=0) + 1)
    breadth = [0.0] * len(length)
    for n, node in diagram.nodes.items():
        size = text_size(node.lines)
        length[rank[n]] = max(length[rank[n]], size[along] + RANK_GAP)
        breadth[rank[n]] += size[1 - along] + NODE_GAP
    if diagram.direction == "LR":  # an edge's label lies along it, after its source's rank
        for edge in diagram.edges:
            label = len(edge.label) * LABEL_CHAR
            length[rank[edge.src]] = max(length[rank[edge.src]], label + RANK_GAP + NODE_MIN[0])
    for first, boxes in box_titles(diagram.root).items():  # titles lie beside a box's first node
        breadth[rank[first]] += sum(text_size((b.label,))[1 - along] + NODE_GAP for b in boxes)
    return length, breadth


def balanced(starts: dict[int, float], total: float, count: int) -> tuple[float, list[int]]:
    """The folds (of `starts`: fold -> how far along it is) that cut a drawing `total`
    long into at most `count` columns with the longest as short as can be, and its length."""
    spots = sorted(starts, key=starts.__getitem__)
    ends = [*(starts[i] for i in spots), total]

    def greedy(longest: float) -> list[int] | None:
        """Each column as long as it may be: the folds, or None if `count` do not suffice."""
        folds: list[int] = []
        top = 0.0
        for k, spot in enumerate(spots):
            if ends[k + 1] - top > longest:
                if starts[spot] - top > longest:
                    return None
                folds.append(spot)
                top = starts[spot]
        return folds if total - top <= longest and len(folds) < count else None

    for longest in sorted({b - a for a in [0.0, *ends] for b in ends if b > a}):
        folds = greedy(longest)
        if folds is not None:
            return longest, folds
    return total, []


def boundaries(cluster: Cluster, depth: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Between two items of a box (the model's first): how deep, and the nodes of the
    item after it."""
    for i, item in enumerate(cluster.items):
        if i and leaves(item):
            yield depth, leaves(item)
        if isinstance(item, Cluster):
            yield from boundaries(item, depth + 1)


def feeders(diagram: Diagram, order: dict[str, int]) -> dict[int, str]:
    """For each place in drawing order, the node every edge reaching past it leaves,
    where one node does: a sweep keeping the sources of the edges that cross."""
    leaving: dict[int, list[str]] = {}
    arriving: dict[int, list[str]] = {}
    for e in diagram.edges:
        if order[e.src] < order[e.dst]:
            leaving.setdefault(order[e.src], []).append(e.src)
            arriving.setdefault(order[e.dst], []).append(e.src)
    sources: Counter[str] = Counter()
    found: dict[int, str] = {}
    for cut in range(1, len(order)):
        sources.update(leaving.get(cut - 1, []))
        for src in arriving.get(cut - 1, []):
            sources[src] -= 1
            if not sources[src]:
                del sources[src]
        if len(sources) == 1:
            (found[cut],) = sources
    return found


def fold(diagram: Diagram) -> Fold | None:
    """The columns a long diagram is drawn in; None where one column reads well."""
    order = {node: k for k, node in enumerate(leaves(diagram.root))}
    rank = ranks(diagram)
    length, breadth = extents(diagram, rank)
    total, broad = sum(length), max(breadth, default=0.0)
    if total <= LONGEST * broad:
        return None
    out: dict[str, list[str]] = {}
    for e in diagram.edges:
        out.setdefault(e.src, []).append(e.dst)
    # Where a fold may go: before an item that one node feeds, and that alone.
    feeder = feeders(diagram, order)
    starts: dict[int, float] = {}  # the item's first node, by order -> how far along
    depths: dict[int, int] = {}
    for depth, nodes in boundaries(diagram.root):
        cut, inside = order[nodes[0]], set(nodes)
        src = feeder.get(cut)
        if src is not None and all(d in inside for d in out[src] if order[d] >= cut):
            starts[cut] = sum(length[: min(rank[n] for n in nodes)])
            depths[cut] = depth
    count = max(2, round(math.sqrt(total / (broad * ASPECT))))
    longest, chosen = total, list[int]()
    for depth in sorted(set(depths.values())):  # between the largest parts where they do
        shallow = {cut: at for cut, at in starts.items() if depths[cut] <= depth}
        longest, chosen = min((longest, chosen), balanced(shallow, total, count))
        if longest <= UNEVEN * total / count:
            break
    if not chosen or longest > SHORTER * total:
        return None
    nodes = list(order)
    jumps = {(feeder[c], d) for c in chosen for d in out[feeder[c]] if order[d] >= c}
    return Fold([nodes[0], *(nodes[c] for c in chosen)], jumps)
