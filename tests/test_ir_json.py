"""The IR dumps to JSON and loads back equal, every node keeping its span."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from archdsl.diagnostics import ArchError, Span
from archdsl.ir import BlockNode, Model, Node, Program
from archdsl.loader import load
from archdsl.syntax.limits import MAX_NODE_DEPTH
from tests.helpers import SPECS

# Every kind of node, block arguments of every kind, and a train section.
EVERY_KIND = """
block unit(width, size=3x3, scale=0.5, act="relu", flag=true, widths=[1, 2]) {
  conv(width, size, padding=1) -> relu
}

model cover {
  input [3, 16, 16]
  stem: conv(8, 3x3, padding=same, bias=false) -> batchnorm -> relu
  residual { conv(8, 3x3, padding=1) }
  residual { conv(16, 3x3, stride=2, padding=1) } project { conv(16, 1x1, stride=2) }
  concat {
    | conv(8, 1x1)
    | maxpool(3x3, stride=1, padding=1)
  }
  add { | identity | scale(0.5) }
  repeat(2) as i unit(8 + i)
  repeat(2) { conv(8, 1x1) -> relu }
  if true { dropout2d(0.1) } else { identity }
  head: avgpool(global) -> flatten -> dropout(0.2) -> linear(10) -> softmax
}

train cover {
  data      cifar10(augment=[crop(32, padding=4), flip])
  epochs    3
  optimizer sgd(lr=0.1, momentum=0.9) if true else adam()
}
"""

PROGRAMS = {spec.name: spec for spec in sorted(SPECS.glob("*.arch"))}


def programs() -> list[Any]:
    """The zoo's specs by name, and the spec of every node kind."""
    zoo = [pytest.param(path, id=name) for name, path in PROGRAMS.items()]
    return [*zoo, pytest.param(EVERY_KIND, id="every_kind")]


def all_nodes(program: Program) -> list[Node]:
    return [node for model in program.models for node in model.root.walk()]


@pytest.mark.parametrize("source", programs())
def test_ir_round_trips_through_json(source: str | Path) -> None:
    program = load(source)
    again = Program.model_validate_json(program.model_dump_json())
    assert again == program
    assert again.model_dump_json() == program.model_dump_json()
    before, after = all_nodes(program), all_nodes(again)
    assert len(after) == len(before) > 1
    for old, new in zip(before, after, strict=True):
        assert isinstance(new.span, Span)
        assert (new.path, new.span) == (old.path, old.span)
        lines = again.sources[new.span.file].split("\n")
        assert 1 <= new.span.line <= len(lines)


def test_every_kind_of_node_is_covered() -> None:
    program = load(EVERY_KIND)
    kinds = {node.kind for node in all_nodes(program)}
    assert kinds == {"op", "group", "block", "repeat", "residual", "parallel"}
    unit = next(n for n in all_nodes(program) if isinstance(n, BlockNode))
    assert unit.args == {
        "width": 8,
        "size": [3, 3],
        "scale": 0.5,
        "act": "relu",
        "flag": True,
        "widths": [1, 2],
    }
    train = {entry.key: entry.value for entry in program.model().train}
    assert set(train) == {"data", "epochs", "optimizer"}


def test_the_deepest_ir_the_limits_allow_round_trips() -> None:
    """63 repeats inside one another reach the bound on nesting, which keeps the
    IR's JSON within what parsers accept; one more is refused."""
    deepest = "model net {\n  input [8]\n  " + "repeat(1) " * (MAX_NODE_DEPTH - 1) + "relu\n}"
    program = load(deepest)
    assert max(len(node.path.split(".")) for node in all_nodes(program)) == MAX_NODE_DEPTH
    assert Program.model_validate_json(program.model_dump_json()) == program
    with pytest.raises(ArchError) as refused:
        load(deepest.replace("repeat(1) ", "repeat(1) repeat(1) ", 1))
    assert [d.code for d in refused.value.diagnostics] == ["limit"]


# A model with two values never used: elaboration warns of them.
UNUSED = """model net {
  input x: [8]
  spare = linear(4)
  y = x -> linear(8)
  y -> linear(3)
}
"""


def test_warnings_stay_out_of_the_json() -> None:
    model = load(UNUSED).model()
    assert [(w.code, w.span.line if w.span else 0) for w in model.warnings] == [("unused", 3)]
    data = json.loads(model.model_dump_json())
    assert list(data) == [
        "name", "span", "input", "output", "params", "buffers", "macs",
        "attention_macs", "root", "train", "values", "inputs", "outputs",
    ]  # fmt: skip
    again = Model.model_validate_json(model.model_dump_json())
    assert again.warnings == []
    assert again.root == model.root


def test_a_node_is_validated_by_its_kind() -> None:
    """The node union dispatches on `kind`: a wrong tag is named, not tried against
    every kind of node."""
    data = load(EVERY_KIND).model().model_dump()
    data["root"]["children"][1]["kind"] = "loop"
    with pytest.raises(ValidationError) as refused:
        Model.model_validate(data)
    [error] = refused.value.errors()
    assert (error["type"], error["loc"]) == ("union_tag_invalid", ("root", "children", 1))
    assert "'op', 'group', 'block', 'repeat', 'residual', 'parallel'" in error["msg"]


def test_json_with_an_unknown_key_or_a_wrong_value_is_refused() -> None:
    program = load(EVERY_KIND)
    data = program.model_dump(mode="json")
    data["models"][0]["root"]["colour"] = "red"
    with pytest.raises(ValidationError) as refused:
        Program.model_validate(data)
    assert [e["loc"] for e in refused.value.errors()] == [("models", 0, "root", "colour")]
    block = next(n for n in all_nodes(program) if isinstance(n, BlockNode))
    data = block.model_dump()
    data["args"]["width"] = {"not": "a value"}
    with pytest.raises(ValidationError) as refused:
        BlockNode.model_validate(data)
    assert {e["loc"][:2] for e in refused.value.errors()} == {("args", "width")}
    assert BlockNode.model_validate(block.model_dump()) == block
