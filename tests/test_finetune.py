"""Fine-tuning: `init from("W")` loads imported weights whole, `freeze` keeps parts fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.train.errors import TrainError
from tests.helpers import run_cli
from tests.test_train_api import SPEC as BLOBS_SPEC
from tests.test_train_api import Blobs
from tests.train_helpers import identical, state, weights

SPEC = """
model tiny {
  input [1, 8, 8]
  stem: conv(8, 3) -> batchnorm -> relu
  body: conv(16, 3, stride=2) -> batchnorm -> relu
  head: avgpool(global) -> flatten -> linear(10)
}
train {
  data digits
  epochs 2
  batch 64
  optimizer sgd(lr=0.1, momentum=0.9)
  device cpu
  init from("WEIGHTS")
  freeze [stem, "body.0"]
}
"""


def _pretrained(tmp_path: Path) -> Path:
    """A state_dict named as another library would, its values and statistics random."""
    spec = tmp_path / "plain.arch"
    spec.write_text(SPEC.split("train")[0])
    generator = torch.Generator().manual_seed(7)
    own = archdsl.build(str(spec)).state_dict()
    foreign = {
        f"features.{i}.{key.rsplit('.', 1)[-1]}": (
            torch.rand(v.shape, generator=generator) + 0.5 if v.is_floating_point() else v
        )
        for i, (key, v) in enumerate(own.items())
    }
    torch.save(foreign, tmp_path / "pre.pth")
    weights = tmp_path / "w.safetensors"
    result = run_cli("weights", "import", str(tmp_path / "pre.pth"), str(spec), "-o", str(weights))
    assert result.returncode == 0, result.stderr
    return weights


def test_frozen_parts_stay_bit_for_bit_and_the_rest_learns(tmp_path: Path) -> None:
    weights = _pretrained(tmp_path)
    spec = tmp_path / "tiny.arch"
    spec.write_text(SPEC.replace("WEIGHTS", str(weights)))
    run = archdsl.fit(str(spec), out=tmp_path / "run")
    start = load_file(str(weights))
    after = {k: v.cpu() for k, v in run.module.state_dict().items()}
    frozen = [k for k in start if k.startswith(("stem.", "body.0."))]
    learned = [k for k in start if k.startswith(("body.1.", "head.")) and "num_batches" not in k]
    # stem's batch norm statistics included: frozen norms stay in eval mode.
    assert "stem.1.running_mean" in frozen and "stem.1.weight" in frozen
    for key in frozen:
        assert torch.equal(after[key], start[key]), key
    for key in learned:
        assert not torch.equal(after[key], start[key]), key


def test_fit_takes_init_and_freeze_as_keywords(tmp_path: Path) -> None:
    weights = _pretrained(tmp_path)
    spec = tmp_path / "tiny.arch"
    spec.write_text(SPEC.replace('  init from("WEIGHTS")\n  freeze [stem, "body.0"]\n', ""))
    run = archdsl.fit(str(spec), init=weights, freeze=["head"], epochs=1, out=tmp_path / "run")
    start = load_file(str(weights))
    after = run.module.state_dict()
    assert torch.equal(after["head.2.weight"].cpu(), start["head.2.weight"])
    assert not torch.equal(after["stem.0.weight"].cpu(), start["stem.0.weight"])


def test_weights_that_do_not_fit_stop_the_run_naming_them(tmp_path: Path) -> None:
    other = tmp_path / "other.pth"
    torch.save({"a.weight": torch.zeros(8, 1, 3, 3), "b.weight": torch.zeros(3)}, other)
    spec = tmp_path / "tiny.arch"
    spec.write_text(SPEC.replace("WEIGHTS", str(other)))
    with pytest.raises(TrainError) as caught:
        archdsl.fit(str(spec), out=tmp_path / "run")
    message = str(caught.value)
    assert "do not fit the model" in message
    assert "source b.weight [3]" in message
    assert "missing from the source: model head.2.bias [10]" in message


def test_an_unknown_freeze_path_is_a_check_error_with_a_suggestion(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.arch"
    spec.write_text(SPEC.replace('[stem, "body.0"]', '[stem, "bdy.0"]'))
    result = run_cli("check", str(spec))
    assert result.returncode == 1
    assert f"{spec}:15:17: error: model `tiny` has no part `bdy.0`" in result.stderr
    assert "did you mean `body.0`?" in result.stderr
    with pytest.raises(ArchError, match=r"has no part `bdy\.0`"):
        archdsl.fit(str(spec), out=tmp_path / "run")


def test_freezing_everything_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.arch"
    spec.write_text(SPEC.replace('[stem, "body.0"]', "[stem, body, head]"))
    result = run_cli("check", str(spec))
    assert result.returncode == 1
    assert "`freeze` leaves nothing to learn" in result.stderr


@pytest.mark.parametrize("change", ["deleted", "altered"])
def test_a_resumed_run_does_not_read_its_init_file_again(tmp_path: Path, change: str) -> None:
    """Stopped mid-run, then W deleted or replaced by weights that do not fit: the resumed
    run takes its state from its checkpoint and ends as the uninterrupted one."""
    spec = tmp_path / "blobs.arch"
    spec.write_text(BLOBS_SPEC)
    generator = torch.Generator().manual_seed(3)
    own = archdsl.build(str(spec)).state_dict()
    init = tmp_path / "pre.pth"
    foreign = {f"net.{k}": torch.randn(v.shape, generator=generator) for k, v in own.items()}
    torch.save(foreign, init)
    whole = archdsl.fit(str(spec), data=Blobs(320), init=init, out=tmp_path / "whole")
    plain = archdsl.fit(str(spec), data=Blobs(320), out=tmp_path / "plain")
    assert not identical(weights(plain.last), weights(whole.last))  # W was used
    # 256 training samples, 16 per step: 16 steps an epoch; the statistics read 256 first.
    with pytest.raises(KeyboardInterrupt):
        archdsl.fit(
            str(spec), data=Blobs(320, stop_at=256 + 256 + 100), init=init, out=tmp_path / "cut"
        )
    assert state(tmp_path / "cut")["status"] == "interrupted"
    if change == "deleted":
        init.unlink()
    else:
        torch.save({"other.weight": torch.zeros(3)}, init)
    again = archdsl.fit(str(spec), data=Blobs(320), init=init, out=tmp_path / "cut", resume=True)
    assert identical(weights(again.last), weights(whole.last))
    assert [r["val_acc"] for r in again.history] == [r["val_acc"] for r in whole.history]
