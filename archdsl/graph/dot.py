"""Graphviz DOT text of a diagram, written directly (Graphviz itself is needed only
to turn it into SVG or PNG)."""

from __future__ import annotations

from archdsl.graph.columns import Fold, fold
from archdsl.graph.diagram import Cluster, Diagram, DiagramNode, Edge, box_titles
from archdsl.graph.text_format import TextFormat

# Fill colour and shape of each kind of node.
NODE_STYLE = {
    "io": 'shape=oval, fillcolor="#e8e8e8"',
    "op": 'shape=box, fillcolor="#e3eefc"',
    "block": 'shape=box, fillcolor="#fde9c8", penwidth=1.5',
    "merge": 'shape=ellipse, fillcolor="#f3f3f3", fontsize=9',
}
TITLE_STYLE = 'shape=plaintext, style="", fontsize=11, fontcolor="#444444"'
HEADER = [
    '  node [style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.05"];',
    '  edge [fontname="Helvetica", fontsize=8, color="#555555", fontcolor="#555555"];',
]


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as `\\n`.

    Escaping the backslash keeps Graphviz from reading `\\N`, `\\G` or `\\l` in a
    label as its own escapes.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def title_id(cluster: Cluster) -> str:
    return f"{cluster.id}_title"


class Dot(TextFormat):
    """DOT of a diagram. A box's title is a node of its own, beside the box's first
    node: Graphviz routes edges around nodes but straight through a cluster's label,
    which sits where edges come in. A long chain is folded into columns (see
    `columns`); `newrank` lets a row of one rank hold nodes of several boxes."""

    def __init__(self) -> None:
        self.fold: Fold | None = None
        self.layout: list[str] = []  # rows that place titles and columns, written last

    def start(self, diagram: Diagram) -> list[str]:
        self.fold = fold(diagram)
        opened = box_titles(diagram.root).items()
        self.layout = [_row([*(title_id(c) for c in boxes), node]) for node, boxes in opened]
        if self.fold is not None:
            self.layout.append(_row(self.fold.heads))
        graph = (
            f"  graph [rankdir={diagram.direction}, ordering=out, newrank=true,"
            ' fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.3];'
        )
        return [f"digraph {quote(diagram.name)} {{", graph, *HEADER, *_rows(diagram.root, "  ")]

    def open_cluster(self, cluster: Cluster, indent: str) -> list[str]:
        return [
            f"{indent}subgraph cluster_{cluster.id} {{",
            f'{indent}  style="rounded,dashed"; color="#999999";',
            f"{indent}  {title_id(cluster)} [label={quote(cluster.label)}, {TITLE_STYLE}];",
            *_rows(cluster, indent + "  "),
        ]

    def close_cluster(self, indent: str) -> str:
        return f"{indent}}}"

    def node(self, node: DiagramNode, indent: str) -> str:
        label = quote("\n".join(node.lines))
        tooltip = f", tooltip={quote(node.path)}" if node.path else ""
        return f"{indent}{node.id} [label={label}, {NODE_STYLE[node.kind]}{tooltip}];"

    def edge(self, edge: Edge) -> str:
        style = ", style=dashed" if edge.kind == "shortcut" else ""
        if self.fold is not None and (edge.src, edge.dst) in self.fold.jumps:
            style += ", constraint=false"  # it climbs to the top of the next column
        # The leading space keeps the label off the line it labels.
        return f"  {edge.src} -> {edge.dst} [label={quote(' ' + edge.label)}{style}];"

    def end(self) -> list[str]:
        return [*(f"  {row}" for row in self.layout), "}"]


def _row(nodes: list[str]) -> str:
    """Nodes side by side in one rank, in this order."""
    return f"{{rank=same; {' -> '.join(nodes)} [style=invis];}}"


def _rows(cluster: Cluster, indent: str) -> list[str]:
    """Branches side by side in the spec's order: Graphviz's own `ordering=out` does not
    hold inside clusters, a rank of invisible edges does (it must sit in their cluster).
    """
    return [f"{indent}{_row(list(row))}" for row in cluster.rows]


def to_dot(diagram: Diagram) -> str:
    return Dot().write(diagram)
