"""A checked program: its models, each the root of an IR tree."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from archdsl.diagnostics import Diagnostic, Span
from archdsl.ir.nodes import GroupNode, Shape
from archdsl.ir.value import Value


class CallValue(BaseModel):
    """A call in a train section, such as `sgd(lr=0.1)`, kept as data."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str
    args: list[ConfigValue] = Field(default_factory=list)
    kwargs: dict[str, ConfigValue] = Field(default_factory=dict)


ConfigValue = TypeAliasType(
    "ConfigValue", "int | float | bool | str | CallValue | list[ConfigValue]"
)


class TrainEntry(BaseModel):
    """One line of a train section: `optimizer sgd(lr=0.1)`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    key: str
    value: ConfigValue
    span: Span
    # Where each part of the value came from, by position path such as "kwargs.lr".
    spans: dict[str, Span] = Field(default_factory=dict)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str
    span: Span
    input: Shape  # the first input's shape
    output: Shape  # the first output's shape
    params: int
    buffers: int
    macs: int
    attention_macs: int = 0  # the part of `macs` in attention's q·kᵀ and attn·v
    root: GroupNode
    train: list[TrainEntry] = Field(default_factory=list)
    # The graph of values: every value by id, and the model's inputs and outputs in order.
    values: dict[str, Value] = Field(default_factory=dict)
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    # What elaboration warned of (a value never used); not part of the IR's JSON.
    warnings: list[Diagnostic] = Field(default_factory=list, repr=False, exclude=True)

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


class Program(BaseModel):
    """Everything `archdsl.load` returns: the checked models and their sources."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    models: list[Model]
    # Source text by file, so later stages can quote the spec in their diagnostics.
    sources: dict[str, str] = Field(default_factory=dict, repr=False)

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
