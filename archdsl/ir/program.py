"""A checked program: its models, each the root of an IR tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from archdsl.diagnostics import Diagnostic, Span
from archdsl.ir.json_io import Adapted, JsonIO
from archdsl.ir.nodes import GroupNode, Shape
from archdsl.ir.value import Value


@dataclass(slots=True, kw_only=True)
class CallValue(JsonIO):
    """A call in a train section, such as `sgd(lr=0.1)`, kept as data."""

    name: str
    args: list[ConfigValue] = field(default_factory=list)
    kwargs: dict[str, ConfigValue] = field(default_factory=dict)


ConfigValue = Annotated[
    int | float | bool | str | CallValue | list["ConfigValue"], Adapted("ConfigValue")
]


@dataclass(slots=True, kw_only=True)
class TrainEntry(JsonIO):
    """One line of a train section: `optimizer sgd(lr=0.1)`."""

    key: str
    value: ConfigValue
    span: Span
    # Where each part of the value came from, by position path such as "kwargs.lr".
    spans: dict[str, Span] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Model(JsonIO):
    name: str
    span: Span
    input: Shape  # the first input's shape
    output: Shape  # the first output's shape
    params: int
    buffers: int
    macs: int
    attention_macs: int = 0  # the part of `macs` in attention's q·kᵀ and attn·v
    root: GroupNode
    train: list[TrainEntry] = field(default_factory=list)
    # The graph of values: every value by id, and the model's inputs and outputs in order.
    values: dict[str, Value] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # What elaboration warned of (a value never used); not part of the IR's JSON.
    warnings: list[Diagnostic] = field(default_factory=list, metadata={"exclude": True})

    def __repr__(self) -> str:
        # The default repr prints the whole IR: 65k characters for a ResNet-50.
        return (
            f"Model(name={self.name!r}, input={list(self.input)}, output={list(self.output)}, "
            f"params={self.params:,}, macs={self.macs:,})"
        )

    def summary(self, depth: int | None = 2) -> str:
        """The table `archdsl check` prints, as plain text; rows deeper than `depth` folded
        (None: every row)."""
        from archdsl.report.table import table_text

        return table_text(self, depth, self.span.file)

    def _repr_html_(self) -> str:
        """Jupyter's view of a model: the summary table."""
        from archdsl.report.html import model_html

        return model_html(self)

    def _repr_svg_(self) -> str | None:
        """Jupyter's drawing of a model, by Graphviz; None (the table is shown) without `dot`."""
        from archdsl.graph.diagram import build_diagram
        from archdsl.graph.dot import to_dot
        from archdsl.graph.graphviz import GraphvizError, draw

        try:
            return draw(to_dot(build_diagram(self, 1)), "svg").decode("utf-8")
        except GraphvizError:
            return None


@dataclass(slots=True, kw_only=True)
class Program(JsonIO):
    """Everything `archdsl.load` returns: the checked models and their sources."""

    models: list[Model]
    # Source text by file, so later stages can quote the spec in their diagnostics.
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def model(self, name: str | None = None) -> Model:
        """The named model, or the only one. Raises KeyError naming the choices."""
        if not self.models:
            raise KeyError("the program defines no model, only blocks")
        if name is None:
            if len(self.models) == 1:
                return self.models[0]
            names = ", ".join(m.name for m in self.models)
            raise KeyError(f"the program has several models ({names}); name one")
        for m in self.models:
            if m.name == name:
                return m
        names = ", ".join(m.name for m in self.models)
        raise KeyError(f"no model `{name}`; the program has {names}")
