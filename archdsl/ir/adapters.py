"""The pydantic side of the IR's JSON, imported only when JSON is written or read.

Each IR class gets a `TypeAdapter` on first use. The aliases below are the
pydantic forms of those the IR's modules mark `Adapted`: recursive aliases
pydantic can only build by name, and the node union, validated by its `kind`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, Union

from pydantic import Field, TypeAdapter
from typing_extensions import TypeAliasType

from archdsl.ir.nodes import BlockNode, GroupNode, OpNode, ParallelNode, RepeatNode, ResidualNode
from archdsl.ir.program import CallValue

T = TypeVar("T")

ArgValue = TypeAliasType("ArgValue", "int | float | bool | str | list[ArgValue]")
ConfigValue = TypeAliasType(
    "ConfigValue", "int | float | bool | str | CallValue | list[ConfigValue]"
)
Node = Annotated[
    Union[OpNode, GroupNode, BlockNode, RepeatNode, ResidualNode, ParallelNode],  # noqa: UP007
    Field(discriminator="kind"),
]

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[T]) -> TypeAdapter[T]:
    """The validator and serializer of an IR class, built on first use."""
    made = _ADAPTERS.get(cls)
    if made is None:
        made = _ADAPTERS[cls] = TypeAdapter(cls)
    return made
