"""Names a spec may use that Python or torch give a meaning: eject renames them safely,
and the state_dict keys stay those of `archdsl.build`."""

from __future__ import annotations

import ast

import pytest

from tests.test_eject import _agrees_with_build, _source

CASES = {
    "a label that is a Python keyword": """
model m {
  input [3, 8, 8]
  class: conv(4, 3x3)
  relu
  def: conv(2, 1x1)
}
""",
    "blocks named none and true_": """
block none(c) { conv(c, 1x1) }
block true_(c) { conv(c, 3x3, padding=1) -> relu }
model m { input [3, 8, 8]; none(4) -> true_(5) }
""",
    "a parameter named _": """
block b(_, c) { repeat(2) conv(_ + c, 1x1) }
model m { input [3, 8, 8]; b(2, 3) -> b(1, 1) }
""",
    "parameters named range, super and __class__": """
block b(range, super=2, __class__=1) {
  repeat(super) conv(range * __class__, 3x3, padding=1)
}
model m { input [3, 8, 8]; b(4) -> b(2, super=1, __class__=3) }
""",
    "a parameter named i inside repeats": """
block b(i, c) {
  repeat(c) as j { conv(i + j, 1x1) }
  repeat(c) { conv(i, 1x1) -> relu }
}
model m { input [3, 8, 8]; b(2, 3) -> b(4, 1) }
""",
}


@pytest.mark.parametrize("spec", CASES.values(), ids=list(CASES))
def test_ejected_source_compiles_and_agrees(spec: str) -> None:
    source, model = _source(spec)
    tree = ast.parse(source)  # a SyntaxError fails the test
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert "None" not in classes and "True" not in classes
    _agrees_with_build(source, model, batch=2)


def test_renamed_parameters_read_as_such() -> None:
    source, _ = _source(CASES["parameters named range, super and __class__"])
    assert (
        "        range_: int,\n        super_: int = 2,\n        p__class__: int = 1,\n" in source
    )
    assert "in_channels if i == 0 else range_ * p__class__," in source
    assert "for i in range(super_)" in source
    source, _ = _source(CASES["a parameter named _"])
    assert "def __init__(self, in_channels: int, _arg: int, c: int)" in source
    source, _ = _source(CASES["a parameter named i inside repeats"])
    assert ") if i2 == 0 else i," in source and "for i2 in range(c)" in source
    source, _ = _source(CASES["a label that is a Python keyword"])
    assert '("class", nn.Conv2d(3, 4, 3))' in source
