"""`archdsl eval` scores trained weights, and refuses samples they were trained on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SPECS, run_cli
from tests.train_helpers import train_here

SPEC = SPECS / "digits_convnet.arch"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("digits")
    code, printed = train_here(SPEC, out, epochs=1, device="cpu")
    assert code == 0, printed
    return out


def evaluate(weights: Path, *sets: str) -> tuple[int, str, str]:
    """`archdsl eval` with `--set` for each setting (options starting `--` pass as they are)."""
    args: list[str] = []
    for s in sets:
        args += [s] if s.startswith("--") else ["--set", s]
    result = run_cli("eval", str(SPEC), "--weights", str(weights), "--device", "cpu", *args)
    return result.returncode, result.stdout, result.stderr


def test_the_runs_own_held_out_split_is_scored(run: Path) -> None:
    code, out, err = evaluate(run / "best.safetensors")
    assert code == 0, err
    assert "digits_convnet on digits (held out, 360 samples)" in out


def test_a_split_that_overlaps_the_training_data_is_refused(run: Path) -> None:
    code, out, err = evaluate(run / "best.safetensors", "data=digits(val=0.5)")
    assert code == 1
    assert out == ""
    assert "544 of the 899 samples to be scored were used to train these weights" in err
    assert "the run trained on digits(val=0.2)" in err
    assert "Traceback" not in err


def test_a_split_inside_the_held_out_one_is_scored(run: Path) -> None:
    # The stratified tenth is a part of the stratified fifth the run held out.
    code, out, err = evaluate(run / "best.safetensors", "data=digits(val=0.1)")
    assert code == 0, err
    assert "(held out, 180 samples)" in out


def test_weights_outside_a_run_folder_are_scored_as_asked(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "w.safetensors"
    shutil.copy(run / "best.safetensors", alone)
    code, out, err = evaluate(alone, "data=digits(val=0.5)")
    assert code == 0, err
    assert "(held out, 899 samples)" in out


def test_other_data_cannot_overlap(run: Path) -> None:
    code, out, err = evaluate(
        run / "best.safetensors", "data=synthetic(samples=64, val_samples=32)"
    )
    assert code == 0, err
    assert "on synthetic (held out, 32 samples)" in out


def test_top5_per_class_and_the_confusion_matrix(run: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    import archdsl
    from archdsl.train.config import Digits
    from archdsl.train.data import load_data

    png = tmp_path / "c.png"
    code, out, err = evaluate(run / "last.safetensors", f"--confusion={png}")
    assert code == 0, err
    # The same counts, by hand: the module on the normalised held-out digits.
    module = archdsl.build(SPEC)
    module.load_state_dict(load_file(run / "last.safetensors"))
    module.eval()
    data = load_data(Digits(), (1, 8, 8), (10,))
    mean, std = data.train.x.float().mean() / 16, (data.train.x.float() / 16).std(unbiased=False)
    scores = module(((data.val.x.float() / 16) - mean) / std).detach()
    truth, guess = data.val.y, scores.argmax(1)
    top5 = (scores.topk(5, 1).indices == truth[:, None]).any(1).float().mean()
    assert f"top-5 {float(top5):.2%}" in out
    matrix = [[int(((truth == t) & (guess == g)).sum()) for g in range(10)] for t in range(10)]
    rows = [line for line in out.splitlines() if line.startswith("│ ") and line.count("│") == 12]
    assert [[int(v) for v in row.split("│")[2:-1]] for row in rows] == matrix
    recall_3 = matrix[3][3] / sum(matrix[3])
    per_class = next(line for line in out.splitlines() if line.startswith("│ 3 ") and "%" in line)
    assert f"{recall_3:.2%}" in per_class
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
