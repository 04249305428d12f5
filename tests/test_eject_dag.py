"""`eject` writes chains of modules: a graph of named values (in the model or inside a
block it calls) is refused with a clear message, nothing written, never a traceback.
archdsl.build and `export --onnx` take those models (tests/test_export_onnx_dag.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_dag import SE as SE_BLOCK
from tests.test_dag import TWO_HEADS

SE_MODEL = (
    SE_BLOCK
    + """
model se_net {
  input [3, 12, 12]
  conv(16, 3x3, padding=1) -> relu -> squeeze_excite(4)
  avgpool(global) -> flatten -> linear(5)
}
"""
)

UNET_LIKE = """
model unet_like {
  input image: [1, 16, 16]
  e1 = conv(8, 3x3, padding=1) -> relu
  e2 = conv(16, 3x3, padding=1) -> relu
  low, high = split([4, 12])
  e3 = low -> conv(16, 3x3, padding=1) -> relu
  d2 = concat(e3, e2, high, dim=0) -> conv(16, 3x3, padding=1) -> relu
  d1 = concat(d2, e1, low) -> conv(2, 1x1)
}
"""

VIT_LIKE = """
model vit_like {
  input [3, 8, 8]
  patches = conv(16, 4x4, stride=4)
  cls = param([16, 1, 2], init=normal, std=0.5)
  seq = concat(cls, patches, dim=1)
  add(seq, cls) -> avgpool(global) -> flatten -> linear(3)
}
"""


@pytest.mark.parametrize(
    ("spec", "name"),
    [(SE_MODEL, "se_net"), (UNET_LIKE, "unet_like"), (VIT_LIKE, "vit_like"), (TWO_HEADS, None)],
    ids=["se", "unet", "vit", "two"],
)
def test_graphs_are_refused_clearly(tmp_path: Path, spec: str, name: str | None) -> None:
    (tmp_path / "g.arch").write_text(spec)
    result = run_cli("eject", "g.arch", "-o", "g.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "eject writes models whose steps form chains" in result.stderr
    if name is not None:
        assert f"`{name}` joins named values" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g.py").exists()
