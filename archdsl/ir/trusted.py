"""Building IR objects from values the elaborator has computed and checked."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@cache
def _field_names(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(cls.model_fields)


def trusted(cls: type[M], **fields: Any) -> M:
    """What pydantic's `model_construct` makes when every field is given, at
    about half its cost (it looks up each field's alias and default): a large
    model makes two of these per layer. Give the fields in the class's order,
    the order pydantic writes them in JSON; in another order they are sorted
    first, more slowly."""
    names = _field_names(cls)
    if tuple(fields) != names:
        if set(fields) != set(names):
            raise TypeError(f"{cls.__name__} needs exactly the fields {', '.join(names)}")
        fields = {name: fields[name] for name in names}
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", fields)
    setattr_(obj, "__pydantic_fields_set__", set(fields))
    setattr_(obj, "__pydantic_extra__", None)
    setattr_(obj, "__pydantic_private__", None)
    return obj
