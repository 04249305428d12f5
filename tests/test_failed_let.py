"""A `let` whose value fails is reported once, not again wherever it is used."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.diagnostics import ArchError

SPEC = """\
model m {
  input [16, 32, 32]
  let k = 3x3 // 2
  conv(8, 3x3, padding=k) -> conv(8, 1x1, stride=k)
}
"""


def test_failed_let_is_one_error_at_its_own_line() -> None:
    with pytest.raises(ArchError) as info:
        archdsl.load(SPEC)
    diags = info.value.diagnostics
    assert [(d.message, d.span.line, d.span.col) for d in diags if d.span] == [
        ("`//` needs two numbers, got a size and an integer", 3, 11)
    ]
    assert len(diags) == 1
