"""A model as a diagram: nodes, edges carrying shapes, and clusters for opened blocks.

The diagram is independent of any drawing format. Blocks the model calls are
opened (drawn as a cluster around their steps) down to `depth` levels of
block calls; deeper blocks are one node showing the call and its parameter
count. Branches of `concat`/`add`/`mul` and the body and shortcut of a residual
leave the same node and meet at a merge node, so they are drawn side by side.
A step that reads named values gets an edge from where each was made, so a
graph's long skips are drawn as the edges they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from archdsl.ir import (
    BlockNode,
    Model,
    Node,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
    Value,
    describe,
)

NodeKind = Literal["io", "op", "block", "merge"]
Direction = Literal["TB", "LR"]  # top to bottom, or left to right
EdgeKind = Literal["data", "shortcut"]


@dataclass(frozen=True, slots=True)
class DiagramNode:
    id: str
    kind: NodeKind
    lines: tuple[str, ...]  # the first is the title
    path: str  # the IR path ("" for the input and output)


@dataclass(frozen=True, slots=True)
class Edge:
    src: str
    dst: str
    label: str  # the shape flowing along it, per sample
    kind: EdgeKind = "data"


@dataclass(slots=True)
class Cluster:
    """An opened block or a labelled group: a box around its nodes and inner clusters."""

    id: str
    label: str
    items: list[str | Cluster] = field(default_factory=list)
    # The first nodes of a merge's branches, in the spec's order, where all are
    # items of this cluster: drawn side by side in that order, branch 0 first.
    rows: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(slots=True)
class Diagram:
    name: str
    nodes: dict[str, DiagramNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    root: Cluster = field(default_factory=lambda: Cluster("root", ""))
    direction: Direction = "TB"


def nesting(cluster: Cluster, depth: int = 0) -> Iterator[tuple[int, str | Cluster | None]]:
    """The items inside `cluster` in order, each with how deep it sits: a node id, a
    Cluster where one opens, and None where the last opened one closes."""
    for item in cluster.items:
        if isinstance(item, Cluster):
            yield depth, item
            yield from nesting(item, depth + 1)
            yield depth, None
        else:
            yield depth, item


def box_titles(root: Cluster) -> dict[str, list[Cluster]]:
    """The boxes each node opens: those whose first node it is, outermost first."""
    opened: dict[str, list[Cluster]] = {}
    waiting: list[Cluster] = []
    for _, item in nesting(root):
        if isinstance(item, Cluster):
            waiting.append(item)
        elif item is not None and waiting:
            opened[item], waiting = waiting, []
    return opened


@dataclass(frozen=True, slots=True)
class _End:
    """Where the data stands: the node it leaves and its shape."""

    node: str
    shape: tuple[int, ...]


def shape_label(shape: tuple[int, ...]) -> str:
    """`64x56x56`: a per-sample shape, compact enough for an edge."""
    return "x".join(map(str, shape))


def _labelled(node: Node) -> bool:
    """Whether the spec named this step (others are numbered, or parts of a residual)."""
    return not (node.name.isdigit() or node.name in ("", "body", "project"))


def _title(node: Node, text: str) -> str:
    """The node's text, after its label where the spec gave one."""
    return f"{node.name}: {text}" if _labelled(node) else text


def _params(count: int) -> tuple[str, ...]:
    return (f"{count:,} params",) if count else ()


def _io_title(kind: str, value: Value) -> str:
    """`input image`, `output aux`: the value's name, else the label of the step that
    makes it (`output logits, aux` names labelled steps), else just the kind."""
    label = value.id.split(".")[0]
    name = value.name or (label if label.isidentifier() else None)
    return f"{kind} {name}" if name else kind


class _Builder:
    def __init__(self, model: Model, depth: int | None):
        self.diagram = Diagram(model.name)
        self.depth = depth
        self.clusters = 0
        self.values = model.values
        self.where: dict[str, _End] = {}  # where each value of the graph leaves a node

    def made(self, node_id: str, value_ids: list[str]) -> None:
        for vid in value_ids:
            self.where[vid] = _End(node_id, self.values[vid].shape)

    def sources(self, node: Node, end: _End) -> list[_End]:
        """Where a node's inputs come from: each value it reads, or (in IR written
        before values) the step before it."""
        if not node.outputs:
            return [end]
        return [self.where[v] for v in node.inputs if v in self.where]

    def node(self, cluster: Cluster, kind: NodeKind, lines: tuple[str, ...], path: str) -> str:
        node_id = f"n{len(self.diagram.nodes)}"
        self.diagram.nodes[node_id] = DiagramNode(node_id, kind, lines, path)
        cluster.items.append(node_id)
        return node_id

    def edge(self, src: _End, dst: str, kind: EdgeKind = "data") -> None:
        self.diagram.edges.append(Edge(src.node, dst, shape_label(src.shape), kind))

    def cluster(self, parent: Cluster, label: str) -> Cluster:
        inner = Cluster(f"c{self.clusters}", label)
        self.clusters += 1
        parent.items.append(inner)
        return inner

    def step(self, node: Node, end: _End, level: int, cluster: Cluster) -> _End:
        """Draw `node` fed from `end`; return where its output stands."""
        if isinstance(node, OpNode):
            return self.single(node, "op", describe(node), end, cluster)
        if isinstance(node, BlockNode):
            if self.depth is not None and level >= self.depth:
                return self.single(node, "block", describe(node), end, cluster)
            inner = self.cluster(cluster, _title(node, describe(node)))
            return self.sequence(node.children, end, level + 1, inner)
        if isinstance(node, RepeatNode):
            return self.repeat(node, end, level, cluster)
        if isinstance(node, ParallelNode):
            ends = self.branches([b.children for b in node.children], end, level, cluster)
            return self.merge(node, node.merge, ends, cluster)
        if isinstance(node, ResidualNode):
            if node.project is None:
                body = self.sequence(node.body.children, end, level, cluster)
                return self.merge(node, "add", [body], cluster, shortcut=end)
            parts = [node.body.children, node.project.children]
            return self.merge(node, "add", self.branches(parts, end, level, cluster), cluster)
        if _labelled(node):
            cluster = self.cluster(cluster, node.name)
        return self.sequence(node.children, end, level, cluster)

    def branches(
        self, branches: list[list[Node]], end: _End, level: int, cluster: Cluster
    ) -> list[_End]:
        """Branches fed the same input; their first nodes are kept in order, side by side."""
        ends: list[_End] = []
        heads: list[str] = []
        for nodes in branches:
            first = f"n{len(self.diagram.nodes)}"
            ends.append(self.sequence(nodes, end, level, cluster))
            if first in self.diagram.nodes:
                heads.append(first)
        if len(heads) > 1 and all(h in cluster.items for h in heads):
            cluster.rows.append(tuple(heads))
        return ends

    def sequence(self, nodes: list[Node], end: _End, level: int, cluster: Cluster) -> _End:
        for node in nodes:
            end = self.step(node, end, level, cluster)
        return end

    def single(self, node: Node, kind: NodeKind, text: str, end: _End, cluster: Cluster) -> _End:
        lines = (_title(node, text), *_params(node.params))
        node_id = self.node(cluster, kind, lines, node.path)
        for source in self.sources(node, end):
            self.edge(source, node_id)
        self.made(node_id, node.outputs)
        return _End(node_id, node.out_shape)

    def repeat(self, node: RepeatNode, end: _End, level: int, cluster: Cluster) -> _End:
        """Copies of a block that stays closed are one node; others are drawn one by one."""
        copies = node.children
        blocks = [c for c in copies if isinstance(c, BlockNode)]
        collapsed = self.depth is not None and level >= self.depth
        if not (collapsed and copies and len(blocks) == len(copies)):
            if _labelled(node):
                cluster = self.cluster(cluster, _title(node, describe(node)))
            return self.sequence(copies, end, level, cluster)
        calls = {describe(c) for c in blocks}
        what = calls.pop() if len(calls) == 1 else ", ".join(sorted({c.block for c in blocks}))
        return self.single(node, "block", f"{describe(node)} x {what}", end, cluster)

    def merge(
        self,
        node: Node,
        text: str,
        ends: list[_End],
        cluster: Cluster,
        shortcut: _End | None = None,
    ) -> _End:
        node_id = self.node(cluster, "merge", (_title(node, text),), node.path)
        for branch_end in ends:
            self.edge(branch_end, node_id)
        if shortcut is not None:
            self.edge(shortcut, node_id, "shortcut")
        self.made(node_id, node.outputs)
        return _End(node_id, node.out_shape)


def build_diagram(model: Model, depth: int | None = 1, direction: Direction = "TB") -> Diagram:
    """The diagram of a model, with blocks opened `depth` calls deep (None: all)."""
    builder = _Builder(model, depth)
    builder.diagram.direction = direction
    root = builder.diagram.root
    if len(model.inputs) <= 1 and len(model.outputs) <= 1:
        start = builder.node(root, "io", ("input", shape_label(model.input)), "")
        builder.made(start, model.inputs)
        end = builder.sequence(model.root.children, _End(start, model.input), 0, root)
        finish = builder.node(root, "io", ("output", shape_label(model.output)), "")
        builder.edge(builder.where.get(model.outputs[0], end) if model.outputs else end, finish)
        return builder.diagram
    for vid in model.inputs:
        value = model.values[vid]
        lines = (_io_title("input", value), shape_label(value.shape))
        start = builder.node(root, "io", lines, "")
        builder.made(start, [vid])
    first = builder.where[model.inputs[0]]
    builder.sequence(model.root.children, first, 0, root)
    for vid in model.outputs:
        value = model.values[vid]
        lines = (_io_title("output", value), shape_label(value.shape))
        finish = builder.node(root, "io", lines, "")
        builder.edge(builder.where[vid], finish)
    return builder.diagram
