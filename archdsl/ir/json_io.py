"""The IR's JSON methods, without importing pydantic until one is called.

The IR classes are plain dataclasses so that `archdsl check`, which never
writes JSON through them, does not pay for importing pydantic. Writing and
reading JSON goes through pydantic all the same, by a validator and serializer
built for each class on first use (`adapters.py`); the methods keep pydantic's
names, which the IR classes had when they were pydantic models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


class JsonIO:
    """Dumping to and validating from JSON (or JSON-like data) for an IR class."""

    __slots__ = ()
    # pydantic reads a dataclass's config here: a key the class lacks is an error.
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    def model_dump_json(self, *, indent: int | None = None, exclude: set[str] | None = None) -> str:
        from archdsl.ir.adapters import adapter

        return adapter(type(self)).dump_json(self, indent=indent, exclude=exclude).decode()

    def model_dump(
        self, *, mode: Literal["python", "json"] = "python", exclude: set[str] | None = None
    ) -> dict[str, Any]:
        from archdsl.ir.adapters import adapter

        data: dict[str, Any] = adapter(type(self)).dump_python(self, mode=mode, exclude=exclude)
        return data

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        from archdsl.ir.adapters import adapter

        return adapter(cls).validate_json(data)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        from archdsl.ir.adapters import adapter

        return adapter(cls).validate_python(data)


class Adapted:
    """Marks a type alias whose pydantic form `adapters.py` defines: the recursive
    aliases and the node union, which pydantic needs as a named alias or a union
    tagged by `kind`. pydantic asks for it only when it builds a validator, so the
    IR's modules import neither pydantic nor typing_extensions."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get_pydantic_core_schema__(
        self, source: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from archdsl.ir import adapters

        return handler.generate_schema(getattr(adapters, self.name))
