"""What the DOT and Mermaid writers share: walking a diagram in drawing order."""

from __future__ import annotations

from abc import ABC, abstractmethod

from archdsl.graph.diagram import Cluster, Diagram, DiagramNode, Edge, nesting


class TextFormat(ABC):
    """A text format of diagrams; a subclass says how each part is written."""

    def write(self, diagram: Diagram) -> str:
        lines = self.start(diagram)
        for depth, item in nesting(diagram.root):
            indent = "  " * (depth + 1)
            if isinstance(item, Cluster):
                lines += self.open_cluster(item, indent)
            elif item is None:
                lines.append(self.close_cluster(indent))
            else:
                lines.append(self.node(diagram.nodes[item], indent))
        lines += [self.edge(edge) for edge in diagram.edges]
        lines += self.end()
        return "\n".join(lines) + "\n"

    @abstractmethod
    def start(self, diagram: Diagram) -> list[str]: ...

    @abstractmethod
    def open_cluster(self, cluster: Cluster, indent: str) -> list[str]: ...

    @abstractmethod
    def close_cluster(self, indent: str) -> str: ...

    @abstractmethod
    def node(self, node: DiagramNode, indent: str) -> str: ...

    @abstractmethod
    def edge(self, edge: Edge) -> str: ...

    def end(self) -> list[str]:
        return []
