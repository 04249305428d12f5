"""The train section as a validated configuration: defaults, flags, and errors at their spans."""

from __future__ import annotations

from typing import get_args

import pytest

import archdsl
from archdsl.diagnostics import ArchError, Diagnostic
from archdsl.train.compat import fits
from archdsl.train.config import Init, OneCycle, TrainConfig
from archdsl.train.resolve import NO_DATA, Override, train_config
from tests.helpers import SPECS, loaded_after, run_cli

IMAGE_MODEL = """model tiny {
  input [1, 8, 8]
  flatten -> linear(10)
}
"""


def errors(text: str, overrides: list[Override] | None = None) -> list[Diagnostic]:
    model = archdsl.load(text).model()
    with pytest.raises(ArchError) as info:
        train_config(model, overrides or [])
    return info.value.diagnostics


def located(diag: Diagnostic) -> tuple[int, int, int]:
    assert diag.span is not None, diag.message
    return diag.span.line, diag.span.col, diag.span.end_col


def test_section_values_and_defaults() -> None:
    text = IMAGE_MODEL + (
        "train {\n"
        "  data      digits(augment=[crop(8, padding=1), flip])\n"
        "  optimizer sgd(0.05, momentum=0.9, nesterov=true)\n"
        "  schedule  onecycle(0.25)\n"
        "}\n"
    )
    config = train_config(archdsl.load(text).model())
    assert config.data.kind == "digits"
    assert [a.kind for a in config.data.augment] == ["crop", "flip"]
    assert config.data.augment[0].size == (8, 8)  # type: ignore[union-attr]
    assert config.optimizer.kind == "sgd" and config.optimizer.lr == 0.05
    assert config.optimizer.momentum == 0.9 and config.optimizer.nesterov is True
    assert isinstance(config.schedule, OneCycle) and config.schedule.warmup == 0.25
    assert config.epochs == TrainConfig.model_fields["epochs"].default
    assert config.loss is None and config.init is None


def test_flags_override_the_section() -> None:
    text = IMAGE_MODEL + "train {\n  data digits\n  epochs 3\n  optimizer sgd(lr=0.1)\n}\n"
    model = archdsl.load(text).model()
    config = train_config(
        model,
        [
            Override("epochs", 7, "--epochs 7"),
            Override("optimizer.lr", 0.02, "--lr 0.02"),
            Override("schedule.warmup", 0.1, "--set schedule.warmup=0.1"),
        ],
    )
    assert config.epochs == 7
    assert config.optimizer.lr == 0.02
    assert config.schedule.kind == "constant" and config.schedule.warmup == 0.1


def test_errors_point_at_the_value_in_the_spec() -> None:
    text = IMAGE_MODEL + (
        "train {\n"
        "  data      digits(augment=[crop(8, padding=1), flop])\n"
        "  optimizer sgd(-0.1, momentun=0.9)\n"
        "  epoch     3\n"
        "  init      torchvison\n"
        "}\n"
    )
    diags = {d.message: d for d in errors(text)}
    flop = diags["unknown augmentation `flop`"]
    assert located(flop) == (6, 49, 53) and flop.help == "did you mean `flip`?"
    lr = diags["`sgd`: `lr` must be greater than 0.0, got -0.1"]
    assert located(lr) == (7, 17, 21)
    typo = diags["`sgd` has no argument `momentun`"]
    assert located(typo)[:2] == (7, 32) and typo.help == "did you mean `momentum`?"
    key = diags["unknown train key `epoch`"]
    # The caret is on the misspelt key itself, not on its value.
    assert located(key) == (8, 3, 8) and key.help == "did you mean `epochs`?"
    init = diags["unknown init scheme `torchvison`"]
    assert located(init)[:2] == (9, 13) and init.help == "did you mean `torchvision`?"


def test_an_error_in_a_flag_names_the_flag() -> None:
    text = IMAGE_MODEL + "train {\n  data digits\n}\n"
    (diag,) = errors(text, [Override("epochs", -2, "--epochs -2")])
    assert diag.span is None
    assert diag.message == "`epochs` must be greater than 0, got -2 (from --epochs -2)"
    (diag,) = errors(text, [Override("data.path", "/x", "--data /x")])
    assert diag.message == "`digits` has no argument `path` (from --data /x)"
    (diag,) = errors(IMAGE_MODEL, [Override("data.path", "/x", "--data /x")])
    assert diag.message == (
        "no dataset is named to read from there; name one too: `--set data=cifar10` "
        "(from --data /x)"
    )


def test_the_model_must_fit_the_data() -> None:
    text = """model wide {
  input [3, 32, 32]
  flatten -> linear(7)
}
train {
  data digits(augment=[cutout(12)], mean=[0.5, 0.5], std=[1.0, 1.0])
}
"""
    messages = {d.message: d for d in errors(text)}
    shape = messages["digits gives samples of shape [1, 8, 8]; model `wide` takes [3, 32, 32]"]
    assert located(shape)[:2] == (6, 8)
    assert shape.help == "make the model's input [1, 8, 8] (or [64] flattened)"
    assert "digits has 10 classes; model `wide` gives 7 outputs" in messages
    cut = messages["cutout of 12 is larger than the 8x8 image"]
    assert located(cut)[:2] == (6, 31)
    assert "`mean` and `std` have 2 values; digits has 1 channels" in messages
    assert len(messages) == 4


@pytest.mark.parametrize(
    ("model_input", "ok"),
    [((1, 8, 8), True), ((64,), True), ((8, 8), True), ((8, 1, 8), False), ((4, 16), False)],
)
def test_samples_feed_a_model_as_they_are_flattened_or_squeezed(
    model_input: tuple[int, ...], ok: bool
) -> None:
    # A grey digit [1, 8, 8] is read as 8 rows of 8 features by a recurrent model.
    assert fits((1, 8, 8), model_input) is ok


def test_one_output_means_binary_cross_entropy() -> None:
    binary = (
        "model b {\n  input [30]\n  linear(1) -> sigmoid\n}\ntrain {\n  data breast_cancer\n}\n"
    )
    config = train_config(archdsl.load(binary).model())
    assert config.loss is None  # chosen from the output when training
    wrong = binary.replace("  data breast_cancer\n", "  data breast_cancer\n  loss cross_entropy\n")
    (diag,) = errors(wrong)
    assert diag.message == "cross_entropy needs one output per class; `b` gives [1]"
    assert diag.help == "use `loss bce` for a single output"


def test_missing_data_is_an_error_for_train_only(tmp_path: pytest.TempPathFactory) -> None:
    text = IMAGE_MODEL + "train {\n  init torchvision\n}\n"
    (diag,) = errors(text)
    assert diag.code == NO_DATA
    assert diag.message == "model `tiny` has no `data` to train on"
    spec = tmp_path / "init_only.arch"  # type: ignore[operator]
    spec.write_text(text)
    assert run_cli("check", str(spec)).returncode == 0


def test_check_reports_train_section_errors_at_their_spans(
    tmp_path: pytest.TempPathFactory,
) -> None:
    spec = tmp_path / "bad.arch"  # type: ignore[operator]
    spec.write_text(IMAGE_MODEL + "train {\n  data digits\n  optimizer adam(lr=0)\n}\n")
    result = run_cli("check", str(spec))
    assert result.returncode == 1
    assert f"{spec}:7:21: error: `adam`: `lr` must be greater than 0.0, got 0" in result.stderr


def test_check_of_a_train_section_never_imports_torch() -> None:
    args = ["check", str(SPECS / "digits_convnet.arch")]
    assert loaded_after(args, ["torch", "archdsl.train.config"]) == [False, True]


def test_set_reads_values_as_a_spec_would(tmp_path: pytest.TempPathFactory) -> None:
    result = run_cli(
        "train",
        str(SPECS / "digits_mlp.arch"),
        "--set",
        "optimizer=sgdd(lr=0.1)",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert "unknown optimizer `sgdd` (from --set optimizer=sgdd(lr=0.1))" in result.stderr
    assert "did you mean `sgd`?" in result.stderr
    bad = run_cli("train", str(SPECS / "digits_mlp.arch"), "--set", "epochs")
    assert bad.returncode == 2 and "write KEY=VALUE" in bad.stderr


def test_init_schemes_are_the_backends() -> None:
    from archdsl.backend.init import SCHEMES

    assert set(get_args(Init.model_fields["kind"].annotation)) == set(SCHEMES)
