"""The intermediate representation: validated, statically analysed models."""

from archdsl.ir.flow import is_chain, plain_chain
from archdsl.ir.nodes import (
    BlockNode,
    GroupNode,
    Node,
    NodeBase,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
    Shape,
    describe,
)
from archdsl.ir.program import CallValue, ConfigValue, Model, Program, TrainEntry
from archdsl.ir.value import Value

__all__ = [
    "BlockNode",
    "CallValue",
    "ConfigValue",
    "GroupNode",
    "Model",
    "Node",
    "NodeBase",
    "OpNode",
    "ParallelNode",
    "Program",
    "RepeatNode",
    "ResidualNode",
    "Shape",
    "TrainEntry",
    "Value",
    "describe",
    "is_chain",
    "plain_chain",
]
