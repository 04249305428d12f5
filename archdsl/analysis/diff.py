"""What changed between two models: layers added, removed or changed, by path.

Two models are compared step by step from the top. The steps of a body are
matched by label where the spec labels them; unlabelled steps are matched in
order by what they are (their op or block), so a layer inserted among
unlabelled ones shows as one addition rather than renumbering all after it.
Matched steps are compared on their call (op or block and its arguments),
input and output shapes, parameters and MACs, the named values they read (a long
skip moved to another value shows; an unnamed value, such as the step before,
reads as `_` on both sides, so a layer inserted upstream moves nothing), and
their insides likewise.

The result is grouped by the model's own steps (a ResNet's stages): each
step that differs, and beneath it the changes that explain it: whole
subtrees added or removed, block calls whose arguments changed (not opened
further), and the innermost layers that changed. `everything=True` lists
every node that differs instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from archdsl.ir import BlockNode, Model, Node, describe
from archdsl.report.summary import op_name

Status = Literal["added", "removed", "changed"]
# What about a matched node can differ.
ASPECTS = ("call", "input", "output", "params", "macs", "reads")


@dataclass(frozen=True, slots=True)
class Entry:
    """One node that differs: `a` and `b` are its two sides (None where it is absent)."""

    status: Status
    a: Node | None
    b: Node | None
    depth: int  # 0 for the model's own steps
    differs: tuple[str, ...] = ()  # for a changed node, which of ASPECTS
    # The values each side reads, where "reads" differs.
    reads: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def path(self) -> str:
        node = self.b if self.b is not None else self.a
        assert node is not None
        return node.path

    @property
    def params_delta(self) -> int:
        return (self.b.params if self.b else 0) - (self.a.params if self.a else 0)

    @property
    def macs_delta(self) -> int:
        return (self.b.macs if self.b else 0) - (self.a.macs if self.a else 0)


@dataclass(frozen=True, slots=True)
class Step:
    """A top-level step that differs, and the changes beneath it that explain it."""

    entry: Entry
    details: list[Entry]

    def changes(self) -> list[Entry]:
        """The rows that count: the details, or the step itself where it has none."""
        return self.details or [self.entry]


@dataclass(frozen=True, slots=True)
class ModelDiff:
    a: Model
    b: Model
    steps: list[Step] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.steps and self.a.input == self.b.input

    def counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = {"added": 0, "removed": 0, "changed": 0}
        for step in self.steps:
            for entry in step.changes():
                counts[entry.status] += 1
        return counts


@dataclass(frozen=True, slots=True)
class _Diffed:
    entry: Entry
    below: list[_Diffed]


def diff_models(a: Model, b: Model, everything: bool = False) -> ModelDiff:
    steps: list[Step] = []
    for diffed in _Compare(a, b).bodies(a.root.children, b.root.children, 0):
        details = _all(diffed.below) if everything else _explaining(diffed.below)
        steps.append(Step(diffed.entry, details))
    return ModelDiff(a, b, steps)


def _key(node: Node) -> str:
    """What matches a step with its counterpart: its label, or else what it is."""
    return f"#{op_name(node)}" if node.name.isdigit() else node.name


def align(a: list[Node], b: list[Node]) -> list[tuple[Node | None, Node | None]]:
    """The steps of two bodies, paired where they match and alone where they do not."""
    pairs: list[tuple[Node | None, Node | None]] = []
    matcher = SequenceMatcher(None, [_key(n) for n in a], [_key(n) for n in b], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(a[a0:a1], b[b0:b1], strict=True)
        else:
            pairs += [(n, None) for n in a[a0:a1]]
            pairs += [(None, n) for n in b[b0:b1]]
    return pairs


class _Compare:
    """Compares the nodes of two models, reading each side's values by name."""

    def __init__(self, a: Model, b: Model) -> None:
        self.a, self.b = a, b

    def bodies(self, a: list[Node], b: list[Node], depth: int) -> list[_Diffed]:
        out: list[_Diffed] = []
        for na, nb in align(a, b):
            if nb is None:
                out.append(_Diffed(Entry("removed", na, None, depth), []))
            elif na is None:
                out.append(_Diffed(Entry("added", None, nb, depth), []))
            elif (diffed := self.node(na, nb, depth)) is not None:
                out.append(diffed)
        return out

    def node(self, a: Node, b: Node, depth: int) -> _Diffed | None:
        reads = (_reads(self.a, a), _reads(self.b, b))
        differs = tuple(
            aspect
            for aspect, same in (
                ("call", _same_call(a, b)),
                ("input", a.in_shape == b.in_shape),
                ("output", a.out_shape == b.out_shape),
                ("params", a.params == b.params),
                ("macs", a.macs == b.macs),
                ("reads", reads[0] == reads[1]),
            )
            if not same
        )
        below = self.bodies(a.subnodes(), b.subnodes(), depth + 1)
        if not differs and not below:
            return None
        shown = reads if "reads" in differs else ((), ())
        return _Diffed(Entry("changed", a, b, depth, differs, shown), below)


def _reads(model: Model, node: Node) -> tuple[str, ...]:
    """The values a node reads, by name (`_` for an unnamed one)."""
    return tuple(model.values[v].name or "_" if v in model.values else "_" for v in node.inputs)


def _same_call(a: Node, b: Node) -> bool:
    """The same op or block with the same arguments, however the call was written."""
    if isinstance(a, BlockNode) and isinstance(b, BlockNode):
        return a.block == b.block and a.args == b.args
    return a.kind == b.kind and describe(a) == describe(b)


def _explaining(diffed: list[_Diffed]) -> list[Entry]:
    """Additions, removals, changed block calls and the innermost changes, in order."""
    out: list[Entry] = []
    for d in diffed:
        entry = d.entry
        closed_call = isinstance(entry.b, BlockNode) and "call" in entry.differs
        if entry.status != "changed" or not d.below or closed_call:
            out.append(entry)
        else:
            out += _explaining(d.below)
    return out


def _all(diffed: list[_Diffed]) -> list[Entry]:
    out: list[Entry] = []
    for d in diffed:
        out.append(d.entry)
        out += _all(d.below)
    return out
