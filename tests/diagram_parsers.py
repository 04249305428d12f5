"""Readers for the diagrams `archdsl graph` writes, so tests can check their structure.

Each returns a `Graph`: node labels by id and edges in order. The readers are
strict: a line they do not understand fails the test that uses them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MERMAID_NODE = re.compile(
    r'^(?P<id>n\d+)(?P<open>\(\[|\[\[|\(\(|\[)"(?P<label>[^"]*)"(?P<close>\]\)|\]\]|\)\)|\])'
    r":::(?P<kind>io|op|block|merge)$"
)
MERMAID_EDGE = re.compile(
    r'^(?P<src>n\d+) (?P<arrow>-->|-\.->)\|"(?P<label>[^"]*)"\| (?P<dst>n\d+)$'
)
MERMAID_SUBGRAPH = re.compile(r'^subgraph (?P<id>c\d+)\["(?P<label>[^"]*)"\]$')
MERMAID_ENTITY = re.compile(r"#(\d+);")

DOT_STRING = r'"(?:[^"\\]|\\.)*"'
DOT_NODE = re.compile(rf"^(?P<id>n\d+) \[label=(?P<label>{DOT_STRING}), (?P<attrs>.*)\];$")
DOT_TITLE = re.compile(rf"^c\d+_title \[label=(?P<label>{DOT_STRING}), (?P<attrs>.*)\];$")
DOT_EDGE = re.compile(
    rf"^(?P<src>n\d+) -> (?P<dst>n\d+) \[label=(?P<label>{DOT_STRING})(?P<attrs>.*)\];$"
)


@dataclass
class Graph:
    labels: dict[str, list[str]] = field(default_factory=dict)  # node id -> label lines
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (src, dst, label)
    clusters: list[str] = field(default_factory=list)

    def preds(self, node: str) -> list[str]:
        return [s for s, d, _ in self.edges if d == node]

    def succs(self, node: str) -> list[str]:
        return [d for s, d, _ in self.edges if s == node]

    def with_title(self, title: str) -> list[str]:
        return [n for n, lines in self.labels.items() if lines[0] == title]

    def params(self) -> int:
        """The parameters of every node, from the `N params` line of its label."""
        total = 0
        for lines in self.labels.values():
            for line in lines[1:]:
                if line.endswith(" params"):
                    total += int(line.removesuffix(" params").replace(",", ""))
        return total

    def check_closed(self) -> None:
        """Every edge joins two declared nodes; exactly one input and one output."""
        for src, dst, _ in self.edges:
            assert src in self.labels and dst in self.labels, (src, dst)
        assert len(self.with_title("input")) == 1
        assert len(self.with_title("output")) == 1


def _unmermaid(text: str) -> str:
    return MERMAID_ENTITY.sub(lambda m: chr(int(m.group(1))), text)


def parse_mermaid(text: str) -> Graph:
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    graph = Graph()
    depth = 0
    for raw in lines[1:]:
        line = raw.strip()
        if not line or line.startswith("classDef "):
            continue
        if m := MERMAID_SUBGRAPH.match(line):
            depth += 1
            graph.clusters.append(_unmermaid(m["label"]))
        elif line == "end":
            depth -= 1
            assert depth >= 0, "`end` without `subgraph`"
        elif m := MERMAID_NODE.match(line):
            assert m["id"] not in graph.labels, f"{m['id']} declared twice"
            graph.labels[m["id"]] = [_unmermaid(part) for part in m["label"].split("<br/>")]
        elif m := MERMAID_EDGE.match(line):
            graph.edges.append((m["src"], m["dst"], _unmermaid(m["label"])))
        else:
            raise AssertionError(f"unexpected Mermaid line: {raw!r}")
    assert depth == 0, "unclosed subgraph"
    return graph


def _undot(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)


def parse_dot(text: str) -> Graph:
    graph = Graph()
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("digraph ", "subgraph cluster_")) and line.endswith("{"):
            depth += 1
        elif line == "}":
            depth -= 1
        elif m := DOT_NODE.match(line):
            graph.labels[m["id"]] = _undot(m["label"]).split("\n")
        elif m := DOT_EDGE.match(line):
            graph.edges.append((m["src"], m["dst"], _undot(m["label"]).strip()))
        elif line.startswith("{rank=same; ") and line.endswith(" [style=invis];}"):
            continue  # a layout hint that orders nodes in a row, no edge of the model
        elif m := DOT_TITLE.match(line):
            graph.clusters.append(_undot(m["label"]))
        elif not line.startswith(("graph [", "node [", "edge [", "style=")):
            raise AssertionError(f"unexpected DOT line: {raw!r}")
    assert depth == 0, "unbalanced braces"
    return graph


SVG = "{http://www.w3.org/2000/svg}"
TITLE_ID = re.compile(r"^c\d+_title$")


def parse_svg(text: str) -> Graph:
    """Graphviz's SVG: a <g class="node"> per node titled by its id, a <g class="edge">
    per edge titled `src->dst`, each with its label as <text> elements."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    graph = Graph()
    for group in root.iter(f"{SVG}g"):
        title_el = group.find(f"{SVG}title")
        title = title_el.text if title_el is not None and title_el.text else ""
        texts = [t.text or "" for t in group.iter(f"{SVG}text")]
        if group.get("class") == "node" and TITLE_ID.match(title):
            graph.clusters.append(" ".join(texts))  # a box's title, drawn as a node
        elif group.get("class") == "node":
            graph.labels[title] = texts
        elif group.get("class") == "edge":
            src, dst = title.split("->")
            graph.edges.append((src, dst, " ".join(texts).strip()))
    return graph


def parallel_paths(graph: Graph, merge: str) -> tuple[str, list[list[str]]]:
    """The fork node and the paths (node ids, fork and merge excluded) that meet at `merge`.

    Walks back from each input of the merge through nodes with one input and one
    output; every walk must end at the same node, and the paths share no node.
    """
    forks: set[str] = set()
    paths: list[list[str]] = []
    for start in graph.preds(merge):
        path: list[str] = []
        node = start
        while len(graph.preds(node)) == 1 and len(graph.succs(node)) == 1:
            path.insert(0, node)
            node = graph.preds(node)[0]
        forks.add(node)
        paths.append(path)
    assert len(forks) == 1, f"branches of {merge} start at different nodes: {forks}"
    seen = [n for p in paths for n in p]
    assert len(seen) == len(set(seen)), "branches share nodes"
    return forks.pop(), paths
