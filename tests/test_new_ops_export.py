"""Networks over tensors of any rank, attention and recurrence: verified, exported, ejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import archdsl
from archdsl.backend.verify import verify
from archdsl.export.eject import EjectError, eject
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


# The first op of each network that eject cannot write yet: it derives classes
# for flat inputs and images only, and says so rather than write wrong code.
NOT_EJECTED = {
    "signal_1d": "conv",
    "volume_3d": "conv",
    "token_mixer": "tokens",
    "windowed": "permute",
    "upsampled": "upsample",
    "text_rnn": "embedding",
}


@pytest.mark.parametrize("name", sorted(NEW_OP_SPECS))
def test_eject_refuses_what_it_cannot_write_yet(name: str) -> None:
    model, program = _load(name)
    with pytest.raises(EjectError) as refused:
        eject(model, program.sources, "spec.arch")
    assert str(refused.value).startswith(
        f"block `{name}`: eject cannot yet write `{NOT_EJECTED[name]}` here"
    )


def test_eject_cli_refuses_swin_t_in_one_line(tmp_path: Path) -> None:
    result = run_cli("eject", "specs/swin_t.arch", "-o", str(tmp_path / "swin.py"))
    assert result.returncode == 1
    assert "eject cannot yet write `permute` here" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "swin.py").exists()
