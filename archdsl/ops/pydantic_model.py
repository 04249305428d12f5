"""Each op class's pydantic model, built on first need: to word a refused argument,
and to carry ops in pydantic models' JSON.

Checking arguments needs no pydantic (checks.py), so `archdsl check` imports none.
Where a check refuses, the op's pydantic model validates the same values: its
ValidationError is what op_args.py and diagnostics/reasons.py word, the same
errors as when the ops were pydantic models themselves. The model has the op's
name, fields, order, defaults and docstring, its markers (fields.py) made
pydantic's, and the config the ops had: strict, frozen, extra fields forbidden.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic_core import core_schema

from archdsl.ops import fields

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

    from archdsl.ops.base import Op


class OpModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def model_of(cls: type[Op]) -> type[OpModel]:
    """The pydantic model of op class `cls`."""
    model = _MODEL_OF.get(cls)
    if model is not None:
        return model
    defaults = cls.defaults()
    definitions: dict[str, Any] = {
        name: (pydantic_type(hint), defaults.get(name, ...))
        for name, hint in cls.field_types().items()
    }
    model = create_model(
        cls.__name__,
        __base__=OpModel,
        __module__=cls.__module__,
        __doc__=cls.__doc__,
        **definitions,
    )
    _MODEL_OF[cls], _OP_OF[model] = model, cls
    return model


_MODEL_OF: dict[type[Op], type[OpModel]] = {}
_OP_OF: dict[type[OpModel], type[Op]] = {}


def pydantic_type(hint: Any) -> Any:
    """`hint` with the markers of fields.py made pydantic's, as pydantic reads it."""
    origin = get_origin(hint)
    if origin is Annotated:
        inner = pydantic_type(hint.__origin__)
        return Annotated[(inner, *map(_pydantic_marker, hint.__metadata__))]
    if origin is Literal:
        return hint
    args = get_args(hint)
    if origin is Union or origin is types.UnionType:
        return Union[tuple(map(pydantic_type, args))]  # noqa: UP007
    if origin is list or origin is tuple:
        return origin[tuple(arg if arg is Ellipsis else pydantic_type(arg) for arg in args)]
    return hint


def _pydantic_marker(marker: Any) -> Any:
    if isinstance(marker, fields.Field):
        return Field(**marker.given())
    if isinstance(marker, fields.BeforeValidator):
        return BeforeValidator(marker.func)
    if isinstance(marker, fields.AfterValidator):
        return AfterValidator(marker.func)
    return marker


def validated_fields(cls: type[Op], values: Any) -> dict[str, Any]:
    """The fields pydantic makes of `values` for op `cls`; its ValidationError if none."""
    return dict(model_of(cls).model_validate(values).__dict__)


def _op(model: OpModel) -> Op:
    return _OP_OF[type(model)].trusted(dict(model.__dict__))


def _model(op: Op) -> OpModel:
    return model_of(type(op)).model_construct(**op.__dict__)


def op_core_schema(cls: type[Op], handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """The pydantic schema of a field holding op `cls`, or any op below it (`Op`
    itself is any op): the union, told apart by the `op` tag, of the models of
    the registered ops that are `cls`. It validates (from JSON too) and dumps as
    that union of models did, the same JSON and JSON Schema; an op given as an
    object is taken as it is."""
    from archdsl.ops.registry import OP_CLASSES

    models = tuple(model_of(c) for c in OP_CLASSES if issubclass(c, cls))
    if not models:
        raise TypeError(f"{cls.__name__} is no registered op, nor a base of one")
    union = models[0] if len(models) == 1 else Annotated[Union[models], Field(discriminator="op")]  # noqa: UP007
    inner = handler.generate_schema(union)

    def validate(value: Any, validate_model: core_schema.ValidatorFunctionWrapHandler) -> Op:
        if isinstance(value, cls):
            return value
        return _op(validate_model(value))

    return core_schema.no_info_wrap_validator_function(
        validate,
        inner,
        serialization=core_schema.plain_serializer_function_ser_schema(_model, return_schema=inner),
    )
