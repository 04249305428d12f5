"""Ops check their arguments without pydantic, accepting exactly what pydantic accepts.

For every op class, argument dicts of right and wrong types are drawn (bounds'
edges, lists for tuples, bools for ints, ints for floats, NaN, unknown keys,
missing ones): the fast check (checks.py) accepts exactly those the op's
pydantic model accepts, with equal values of equal types. Ops are plain frozen
objects that carry themselves in pydantic models' JSON as before.
"""

from __future__ import annotations

import math
import pickle
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from archdsl.ops import OPS, AnyOp, Op
from archdsl.ops.checks import ArgumentChecks
from archdsl.ops.pydantic_model import validated_fields
from archdsl.ops.registry import OP_CLASSES
from tests.helpers import run_python

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values of every kind the evaluator makes, and a few it does not.
SCALARS = st.one_of(
    st.integers(-3, 10),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, 2**53 + 1]),
    st.booleans(),
    st.floats(),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e-5, 0.99999]),
    st.none(),
    st.text(max_size=4),
    st.sampled_from(["same", "valid", "global", "zeros", "tanh", "row", "last", "3x3"]),
)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=6) | st.lists(inner, max_size=6).map(tuple),
    max_leaves=8,
)


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`common` three times in four."""
    return st.one_of(common, common, common, rare)


def typed(hint: Any) -> st.SearchStrategy[Any]:
    """Values of `hint`'s types about its bounds: its choices, numbers at and either
    side of 0 and 1, containers of up to four items as lists or tuples."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        return typed(hint.__origin__)
    if origin is Union or origin is types.UnionType:
        return st.one_of([typed(arg) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    if origin is list or origin is tuple:
        items = mostly(st.lists(typed(args[0]), min_size=1, max_size=3), st.lists(typed(args[0])))
        return items | items.map(tuple)
    if hint is int:
        return mostly(st.integers(1, 8), st.sampled_from([0, -1, 2**64]))
    if hint is float:
        edges = [0, 1, 2, 0.0, 1.0, -0.1, 1.5, math.nan, math.inf]
        return mostly(st.floats(0.001, 0.999), st.sampled_from(edges))
    if hint is bool:
        return st.booleans()
    return st.none()


@st.composite
def arguments(draw: st.DrawFn, cls: type[Op]) -> dict[str, Any]:
    """Arguments of the right types but for at most one field, which is given
    anything at all (or left out); optional fields are often left to their default."""
    hints = cls.field_types()
    odd = draw(st.sampled_from([None, None, None, *hints]))
    values: dict[str, Any] = {}
    for name, hint in hints.items():
        if name == odd:
            if draw(st.booleans()):
                values[name] = draw(ANY_VALUE)
        elif name not in cls.defaults() or draw(st.booleans()):
            values[name] = draw(typed(hint))
    if draw(st.sampled_from([False] * 14 + [True])):
        values[draw(st.sampled_from(["bogus", "Op", "kernel"]))] = draw(ANY_VALUE)
    return values


def typed_fields(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """Each field's value with its type, items included (repr: NaN equals NaN)."""
    return [(name, repr(_types(value))) for name, value in fields.items()]


def _types(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return (type(value), [_types(v) for v in value])
    return (type(value), value)


@pytest.mark.parametrize("cls", OP_CLASSES, ids=lambda c: c.name)
@SETTINGS
@given(data=st.data())
def test_fast_check_accepts_exactly_what_pydantic_accepts(
    cls: type[Op], data: st.DataObject
) -> None:
    checks = ArgumentChecks(cls.field_types(), cls.defaults())
    values = data.draw(arguments(cls))
    fast = checks(values)
    try:
        slow = validated_fields(cls, values)
    except ValidationError:
        assert fast is None, (values, fast)
        return
    assert fast is not None, (values, slow)
    assert typed_fields(fast) == typed_fields(slow)


def test_checks_have_the_normalised_values_pydantic_makes() -> None:
    conv = OPS["conv"].model_validate({"out_channels": 8, "kernel": [3, 1], "stride": 2})
    assert (conv.kernel, conv.stride, conv.padding, conv.bias) == ((3, 1), 2, 0, True)
    leaky = OPS["leaky_relu"].model_validate({"slope": 1})  # strict mode makes an int a float
    assert type(leaky.slope) is float and leaky.slope == 1.0
    pad = OPS["pad_channels"].model_validate({"channels": 4, "stride": 2})
    assert pad.stride == (2, 2)
    reshape = OPS["reshape"].model_validate({"shape": [4, -1]})
    assert reshape.shape == (4, -1)


@pytest.mark.parametrize(
    ("name", "values", "error"),
    [
        ("conv", {"out_channels": True, "kernel": 3}, "int_type"),
        ("conv", {"out_channels": 0, "kernel": 3}, "greater_than_equal"),
        ("conv", {"out_channels": 8}, "missing"),
        ("conv", {"out_channels": 8, "kernel": 3, "colour": 1}, "extra_forbidden"),
        ("dropout", {"p": 1.0}, "less_than"),
        ("dropout", {"p": float("nan")}, "less_than"),
        ("elu", {"alpha": 10**400}, "float_type"),
        ("gelu", {"approximate": "erf"}, "literal_error"),
        ("split", {"sizes": []}, "too_short"),
        ("param", {"shape": (2, 3)}, "list_type"),
    ],
)
def test_refusals_are_pydantics_errors(name: str, values: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError) as refused:
        OPS[name].model_validate(values)
    assert [e["type"] for e in refused.value.errors()] == [error]
    assert refused.value.title == OPS[name].__name__
    with pytest.raises(ValidationError):
        OPS[name](**values)  # the constructor checks as model_validate does


def test_checking_ops_imports_no_pydantic() -> None:
    code = (
        "import sys\n"
        "import archdsl.ops\n"
        "conv = archdsl.ops.OPS['conv'].model_validate(\n"
        "    {'out_channels': 64, 'kernel': [3, 3], 'stride': 2, 'padding': 'same'})\n"
        "norm = archdsl.ops.OPS['layernorm'].model_validate({'eps': 1e-6, 'over': 'last'})\n"
        "print(conv.summary(), norm.summary(), 'pydantic' in sys.modules)\n"
        "archdsl.ops.OPS['conv'].model_validate({'out_channels': 0, 'kernel': 3})\n"
    )
    result = run_python(code)
    assert result.stdout.split("\n")[0] == (
        "conv(64, 3x3, stride=2, padding=same) layernorm(eps=1e-06, over=last) False"
    )
    # A refusal imports pydantic to word it.
    assert "pydantic_core._pydantic_core.ValidationError: 1 validation error for Conv" in (
        result.stderr
    )


def test_an_op_is_a_frozen_value() -> None:
    conv = OPS["conv"].model_validate({"out_channels": 8, "kernel": 3})
    same = OPS["conv"](out_channels=8, kernel=3)
    assert conv == same and hash(conv) == hash(same)
    assert conv != OPS["conv"](out_channels=8, kernel=3, bias=False)
    assert conv != OPS["conv_transpose"](out_channels=8, kernel=3)
    with pytest.raises(AttributeError, match="frozen"):
        conv.kernel = 5  # type: ignore[misc]
    assert repr(conv) == (
        "Conv(op='conv', out_channels=8, kernel=3, stride=1, padding=0, dilation=1, "
        "groups=1, bias=True)"
    )
    wider = conv.model_copy(update={"out_channels": 16})
    assert (wider.out_channels, conv.out_channels, wider.kernel) == (16, 8, 3)
    assert pickle.loads(pickle.dumps(conv)) == conv
    assert OPS["conv"].model_validate(conv) is conv


def test_field_metadata_replaces_pydantics() -> None:
    pool = OPS["maxpool"]
    # Fields a subclass adds come after its base's, the `op` tag where it is declared.
    assert pool.field_names() == ("kernel", "stride", "padding", "op", "dilation", "ceil_mode")
    assert pool.arg_names() == ("kernel", "stride", "padding", "dilation", "ceil_mode")
    assert pool.required_args() == ("kernel",)
    assert dict(pool.defaults()) == {
        "stride": None,
        "padding": 0,
        "op": "maxpool",
        "dilation": 1,
        "ceil_mode": False,
    }
    assert pool.signature()[:3] == [("kernel", None), ("stride", "unset"), ("padding", "0")]


class Holder(BaseModel):
    op: AnyOp


def test_ops_travel_in_pydantic_json_as_models_did() -> None:
    conv = OPS["conv"](out_channels=8, kernel=[3, 1], padding="same")
    pool = OPS["maxpool"](kernel="global")
    text = TypeAdapter(list[AnyOp]).dump_json([conv, pool])
    assert text == (
        b'[{"op":"conv","out_channels":8,"kernel":[3,1],"stride":1,"padding":"same",'
        b'"dilation":1,"groups":1,"bias":true},'
        b'{"kernel":"global","stride":null,"padding":0,"op":"maxpool","dilation":1,'
        b'"ceil_mode":false}]'
    )
    again = TypeAdapter(list[AnyOp]).validate_json(text)
    assert again == [conv, pool] and type(again[1]) is OPS["maxpool"]
    assert Holder(op=conv).op is conv  # an op given as an object is kept
    assert Holder.model_validate({"op": {"op": "relu"}}).op == OPS["relu"]()
    with pytest.raises(ValidationError) as refused:
        Holder.model_validate_json('{"op": {"op": "conv", "out_channels": 0, "kernel": 3}}')
    assert [(e["type"], e["loc"]) for e in refused.value.errors()] == [
        ("greater_than_equal", ("op", "conv", "out_channels"))
    ]
    schema = Holder.model_json_schema()
    assert schema["properties"]["op"]["discriminator"]["propertyName"] == "op"
    assert len(schema["properties"]["op"]["oneOf"]) == len(OP_CLASSES)
    assert schema["$defs"]["Conv"]["required"] == ["out_channels", "kernel"]
