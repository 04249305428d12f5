"""Networks over tensors of any rank, attention and recurrence: verified, exported, ejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import archdsl
from archdsl.backend.verify import verify
from archdsl.export.eject import eject
from archdsl.export.onnx import export_onnx
from tests.helpers import run_cli
from tests.new_op_specs import NEW_OP_SPECS
from tests.test_export_onnx import _runner


def _load(name: str) -> tuple[archdsl.Model, Any]:
    spec = NEW_OP_SPECS[name][0]
    program = archdsl.load(spec)
    return program.model(), program


def _example(model: archdsl.Model, name: str, batch: int) -> torch.Tensor:
    kind = NEW_OP_SPECS[name][1]
    if kind.startswith("tokens:"):  # token ids, given as numbers like every model input
        return torch.randint(0, int(kind.split(":")[1]), (batch, *model.input)).float()
    return torch.randn(batch, *model.input)


@pytest.mark.parametrize("name", sorted(NEW_OP_SPECS))
def test_verifies_against_torch(name: str) -> None:
    model, _ = _load(name)
    result = verify(model)
    assert result.mismatches == []
    assert (result.params, result.buffers) == (model.params, model.buffers)


@pytest.mark.parametrize("name", sorted(NEW_OP_SPECS))
def test_onnx_export_runs_as_in_torch(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model, _ = _load(name)
    module = archdsl.build(model).eval()
    path = tmp_path / f"{name}.onnx"
    export_onnx(module, model, path)
    run = _runner(path)
    for batch in (1, 3):  # the batch dimension stays dynamic
        x = _example(model, name, batch)
        with torch.no_grad():
            want = module(x).numpy()
        (got,) = run(x.numpy())  # one output
        assert got.shape == (batch, *model.output)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", sorted(NEW_OP_SPECS))
def test_ejects_to_the_same_module(name: str) -> None:
    """Every op over tokens, sequences and volumes ejects: the module is build's."""
    model, program = _load(name)
    source = eject(model, program.sources, "spec.arch")
    torch.manual_seed(0)
    built = archdsl.build(model).eval()
    namespace: dict[str, Any] = {}
    exec(compile(source, "ejected.py", "exec"), namespace)
    cls = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, nn.Module)][-1]
    ejected = cls().eval()
    assert list(ejected.state_dict()) == list(built.state_dict())
    ejected.load_state_dict(built.state_dict(), strict=True)
    x = _example(model, name, 3)
    with torch.no_grad():
        torch.testing.assert_close(ejected(x), built(x))


def test_eject_cli_writes_swin_t(tmp_path: Path) -> None:
    result = run_cli("eject", "specs/swin_t.arch", "-o", str(tmp_path / "swin.py"))
    assert result.returncode == 0, result.stderr
    source = (tmp_path / "swin.py").read_text()
    assert "class WindowAttention(nn.Module):" in source  # archdsl's own, copied
    assert "import archdsl" not in source and "from archdsl" not in source
