"""Building IR objects from values the elaborator has computed and checked."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def trusted(cls: type[M], **fields: Any) -> M:
    """What pydantic's `model_construct` makes when every field is given, at
    half its cost (it looks up each field's alias and default): a large model
    makes two of these per layer."""
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", fields)
    setattr_(obj, "__pydantic_fields_set__", set(fields))
    setattr_(obj, "__pydantic_extra__", None)
    setattr_(obj, "__pydantic_private__", None)
    return obj
