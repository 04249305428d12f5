"""Parsing and elaboration pause the cycle collector and give it back as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import archdsl
from archdsl.collector import collector_paused
from archdsl.diagnostics import ArchError
from archdsl.syntax.parser import parse

GOOD = "model m {\n  input [4]\n  linear(2)\n}\n"
BAD_SYNTAX = "model m {\n  input [4]\n  linear(2\n}\n"
BAD_SHAPE = "model m {\n  input [4]\n  conv(2, 3x3)\n}\n"


@pytest.fixture(params=[True, False], ids=["collector on", "collector off"])
def collector(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    if request.param:
        gc.enable()
    else:
        gc.disable()
    yield request.param
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_restored_after(collector: bool) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is collector


def test_parse_and_load_restore_the_collector(collector: bool) -> None:
    assert len(parse(GOOD).models) == 1
    assert gc.isenabled() is collector
    assert archdsl.load(GOOD).models[0].output == (2,)
    assert gc.isenabled() is collector


@pytest.mark.parametrize(
    ("text", "line"), [(BAD_SYNTAX, 4), (BAD_SHAPE, 3)], ids=["syntax", "shape"]
)
def test_a_refused_spec_restores_it_too(collector: bool, text: str, line: int) -> None:
    with pytest.raises(ArchError) as err:
        archdsl.load(text)
    assert err.value.diagnostics[0].span is not None
    assert err.value.diagnostics[0].span.line == line
    assert gc.isenabled() is collector
