"""Each op's usage line, which diagnostics show as help, lists its arguments in
the order positional arguments bind to them."""

from __future__ import annotations

import re

import pytest

from archdsl.ir import OpNode
from archdsl.loader import load
from archdsl.ops.base import Op
from archdsl.ops.pool import MaxPool
from archdsl.ops.registry import OP_CLASSES

USAGE = re.compile(r"(?P<name>\w+)(?:\((?P<args>[^)]*)\))?")


def documented_order(cls: type[Op]) -> tuple[str, list[str]]:
    """The op's name and argument names as its docstring's first line writes them."""
    first = (cls.__doc__ or "").splitlines()[0]
    match = USAGE.match(first)
    assert match, first
    args = match["args"] or ""
    names = [part.split("=")[0].split("|")[0].strip() for part in args.split(",") if part.strip()]
    return match["name"], names


@pytest.mark.parametrize("cls", OP_CLASSES, ids=lambda c: c.name)
def test_usage_line_matches_positional_order(cls: type[Op]) -> None:
    name, names = documented_order(cls)
    assert name == cls.name
    if cls.takes_values():  # the values a merge joins come first: `concat(a, b, ..., dim=0)`
        assert names[:3] == ["a", "b", "..."]
        names = names[3:]
    assert names == list(cls.arg_names())


def test_maxpool_binds_dilation_before_ceil_mode() -> None:
    spec = "model m {\n  input [3, 9, 9]\n  maxpool(3x3, 2, 1, 2, true)\n}\n"
    node = load(spec).model().root.children[0]
    assert isinstance(node, OpNode)
    op: Op = node.op
    assert isinstance(op, MaxPool)
    assert (op.dilation, op.ceil_mode) == (2, True)  # one number: the same on every axis
    assert node.out_shape == (3, 4, 4)  # a 5x5 window, stride 2, padding 1
