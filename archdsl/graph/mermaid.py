"""Mermaid flowchart text of a diagram, for Markdown pages that render Mermaid."""

from __future__ import annotations

from archdsl.graph.diagram import Cluster, Diagram, DiagramNode, Edge
from archdsl.graph.text_format import TextFormat

# Mermaid's node shapes: stadium for input and output, a subroutine box for a
# closed block, a circle for a merge.
SHAPES = {"io": ("([", "])"), "op": ("[", "]"), "block": ("[[", "]]"), "merge": ("((", "))")}
# Characters that would end a label or be read as markup, as Mermaid's entity codes.
ENTITIES = {"#": "#35;", '"': "#34;", "&": "#38;", "<": "#60;", ">": "#62;", "|": "#124;"}
ENTITIES["`"] = "#96;"
CLASSES = [
    "  classDef io fill:#e8e8e8,stroke:#888888",
    "  classDef op fill:#e3eefc,stroke:#6b8fc7",
    "  classDef block fill:#fde9c8,stroke:#c98f2e,stroke-width:2px",
    "  classDef merge fill:#f3f3f3,stroke:#888888",
]


def quote(lines: tuple[str, ...] | str) -> str:
    """A double-quoted Mermaid label; several lines are joined with `<br/>`."""
    parts = (lines,) if isinstance(lines, str) else lines
    escaped = ["".join(ENTITIES.get(ch, ch) for ch in part) for part in parts]
    return '"' + "<br/>".join(escaped) + '"'


class Mermaid(TextFormat):
    def start(self, diagram: Diagram) -> list[str]:
        return [f"flowchart {diagram.direction}", *CLASSES]

    def open_cluster(self, cluster: Cluster, indent: str) -> list[str]:
        return [f"{indent}subgraph {cluster.id}[{quote(cluster.label)}]"]

    def close_cluster(self, indent: str) -> str:
        return f"{indent}end"

    def node(self, node: DiagramNode, indent: str) -> str:
        opening, closing = SHAPES[node.kind]
        return f"{indent}{node.id}{opening}{quote(node.lines)}{closing}:::{node.kind}"

    def edge(self, edge: Edge) -> str:
        arrow = "-.->" if edge.kind == "shortcut" else "-->"
        return f"  {edge.src} {arrow}|{quote(edge.label)}| {edge.dst}"


def to_mermaid(diagram: Diagram) -> str:
    return Mermaid().write(diagram)
