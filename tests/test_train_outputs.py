"""A model with several outputs trains the one its loss names, the others weighed by
`aux` (as Inception-v3 trains its auxiliary head); without a choice, a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import archdsl
from archdsl.diagnostics import ArchError
from archdsl.train.config import CrossEntropy
from archdsl.train.outputs import trained_output
from archdsl.train.resolve import train_config
from archdsl.train.tasks import make_task
from archdsl.train.tasks.several_outputs import SeveralOutputs
from tests.helpers import run_cli
from tests.train_helpers import history, train_here

TWO_OUTPUTS = """
model two_outputs {{
  input [64]
  h = linear(64) -> relu
  aux = linear(10)
  logits = h -> linear(32) -> relu -> linear(10)
  output aux, logits
}}

train {{
  data      digits(val=0.2)
  epochs    8
  batch     32
  optimizer adam(lr=3e-3)
  {loss}
  seed      0
}}
"""


def _spec(loss: str) -> str:
    return TWO_OUTPUTS.format(loss=loss)


def test_a_two_output_model_trains_on_the_output_its_loss_names(tmp_path: Path) -> None:
    spec = tmp_path / "two.arch"
    spec.write_text(_spec("loss      cross_entropy(output=logits, aux=0.4)"))
    code, printed = train_here(spec, tmp_path / "run", device="cpu", deterministic=True)
    assert code == 0, printed
    records = history(tmp_path / "run")
    assert len(records) == 8
    assert records[-1]["val_acc"] >= 0.93, records[-1]
    assert records[-1]["train_loss"] < records[0]["train_loss"]


def test_the_loss_weighs_auxiliary_outputs() -> None:
    model = archdsl.load(_spec("loss cross_entropy(output=logits, aux=0.4)")).model()
    config = train_config(model)
    trained = trained_output(config, model)
    assert (trained.index, trained.aux, trained.weight) == (1, (0,), 0.4)
    objective = SeveralOutputs(make_task("classification", CrossEntropy(), None), trained)
    aux, logits = torch.randn(6, 10), torch.randn(6, 10)
    y = torch.randint(0, 10, (6,))
    ce = torch.nn.functional.cross_entropy
    want = ce(logits, y) + 0.4 * ce(aux, y)
    assert objective.loss((aux, logits), y).item() == pytest.approx(want.item(), rel=1e-6)
    assert objective.sums((aux, logits), y).tolist() == [(logits.argmax(1) == y).sum().item()]


@pytest.mark.parametrize(
    ("loss", "message"),
    [
        (
            "",
            "model `two_outputs` has 2 outputs (`aux`, `logits`); the loss must name the one "
            "it trains",
        ),
        (
            "loss cross_entropy(output=logit)",
            "model `two_outputs` has no output `logit`; its outputs are `aux`, `logits`",
        ),
    ],
)
def test_an_output_must_be_chosen_among_several(loss: str, message: str) -> None:
    model = archdsl.load(_spec(loss)).model()
    with pytest.raises(ArchError) as caught:
        train_config(model)
    assert [d.message for d in caught.value.diagnostics] == [message]


def test_aux_needs_outputs_of_the_trained_shape(tmp_path: Path) -> None:
    spec = tmp_path / "bad.arch"
    spec.write_text(
        _spec("loss cross_entropy(output=logits, aux=0.4)").replace(
            "linear(10)\n  logits", "linear(3)\n  logits"
        )
    )
    result = run_cli("train", str(spec), "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "the auxiliary output `aux` gives [3] but `logits` gives [10]" in result.stderr
    assert "Traceback" not in result.stderr
