"""IR objects built from trusted values equal what pydantic builds, JSON included."""

from __future__ import annotations

import pytest

from archdsl.diagnostics import Span
from archdsl.ir import Value
from archdsl.ir.trusted import trusted

SPAN = Span("m.arch", 3, 5, 3, 17)


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "stem.0", "shape": (64, 56, 56), "batched": True, "span": SPAN, "name": None},
        {"name": "skip", "span": SPAN, "id": "@x", "batched": False, "shape": (1, 768)},
    ],
    ids=["class order", "another order"],
)
def test_trusted_value_equals_a_constructed_one(fields: dict[str, object]) -> None:
    made = trusted(Value, **fields)
    expected = Value.model_construct(**fields)
    assert made == expected
    assert made.model_dump_json() == expected.model_dump_json()
    assert list(made.model_dump()) == ["id", "shape", "batched", "span", "name"]
    assert made.model_fields_set == set(fields)


def test_a_missing_or_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="exactly the fields id, shape, batched, span, name"):
        trusted(Value, id="a", shape=(1,), batched=True, span=SPAN)
    with pytest.raises(TypeError):
        trusted(Value, id="a", shape=(1,), batched=True, span=SPAN, name=None, colour="red")
