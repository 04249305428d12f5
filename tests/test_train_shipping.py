"""A trained model carries what it takes to use it: normalisation, classes, input shape.

Round trip: train, export to ONNX with the run's weights, then score the raw
held-out digits with onnxruntime, normalised using only the metadata in the
ONNX file: the accuracy must be the run's own.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

import archdsl
from archdsl.train.checkpoint import read_weights
from archdsl.train.config import Csv, Digits
from archdsl.train.data import load_data
from archdsl.train.fingerprint import digest, model_layers
from tests.helpers import SPECS, run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SPEC = SPECS / "digits_convnet.arch"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> archdsl.FitRun:
    with contextlib.redirect_stdout(io.StringIO()):
        return archdsl.fit(SPEC, out=tmp_path_factory.mktemp("digits"), epochs=2, device="cpu")


def test_the_weights_say_how_to_normalise_their_inputs(run: archdsl.FitRun) -> None:
    _, meta = read_weights(run.last)
    model = archdsl.load(SPEC).model()
    assert meta["format"] == "archdsl/1"
    assert meta["model"] == "digits_convnet"
    assert meta["model_hash"] == digest(model_layers(model))
    assert meta["task"] == "classification"
    assert json.loads(meta["input_shape"]) == [1, 8, 8]
    assert float(meta["raw_scale"]) == 16.0
    train = load_data(Digits(), (1, 8, 8), (10,)).train.x.numpy() / 16.0
    assert json.loads(meta["mean"]) == pytest.approx([train.mean()], rel=1e-6)
    assert json.loads(meta["std"]) == pytest.approx([train.std()], rel=1e-6)
    assert "class_names" not in meta  # digits' classes are their indices


def test_onnx_on_raw_inputs_with_only_the_files_metadata(
    run: archdsl.FitRun, tmp_path: Path
) -> None:
    path = tmp_path / "digits.onnx"
    result = run_cli("export", str(SPEC), "--weights", str(run.last), "--onnx", str(path))
    assert result.returncode == 0, result.stderr
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta == {k: v for k, v in read_weights(run.last)[1].items() if k != "step"}
    held_out = load_data(Digits(), (1, 8, 8), (10,)).val
    raw = held_out.x.numpy().astype(np.float32)  # 0..16, as scikit-learn gives them
    shape = [-1, *json.loads(meta["input_shape"])]
    mean = np.array(json.loads(meta["mean"]), np.float32).reshape(1, -1, 1, 1)
    std = np.array(json.loads(meta["std"]), np.float32).reshape(1, -1, 1, 1)
    x = ((raw / float(meta["raw_scale"]) - mean) / std).reshape(shape).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(None, {session.get_inputs()[0].name: x})
    accuracy = float((scores.argmax(1) == held_out.y.numpy()).mean())
    assert accuracy == pytest.approx(run.history[-1]["val_acc"], abs=1e-9)
    # `archdsl predict` on the same raw inputs gives the same top-1, input by input.
    np.save(tmp_path / "raw.npy", raw[:40])
    result = run_cli(
        "predict", str(SPEC), str(tmp_path / "raw.npy"), "--weights", str(run.last), "--top", "2"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 40
    assert lines[0].startswith(f"{tmp_path / 'raw.npy'}[0]: ")
    top1 = [int(line.split(": ")[1].split()[0]) for line in lines]
    assert top1 == scores[:40].argmax(1).tolist()


def test_class_names_travel_with_the_weights(tmp_path: Path) -> None:
    lines = ["a,b,kind"] + [f"{i % 7},{i % 3},{['cat', 'dog'][i % 2]}" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    spec = "model m { input [2]\n linear(2) }"
    data = f'csv("{tmp_path / "t.csv"}", target="kind")'
    assert load_data(Csv(path=str(tmp_path / "t.csv"), target="kind"), (2,), (2,)).class_names
    with contextlib.redirect_stdout(io.StringIO()):
        run = archdsl.fit(spec, data=data, out=tmp_path / "run", epochs=1, batch=8)
    assert json.loads(read_weights(run.best)[1]["class_names"]) == ["cat", "dog"]
    (tmp_path / "new.csv").write_text("a,b\n1,0\n6,2\n")
    result = run_cli("predict", spec_file(tmp_path, spec), str(tmp_path / "new.csv"),
                     "--weights", str(run.best), "--top", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()]
    assert len(names) == 2 and set(names) <= {"cat", "dog"}
    assert result.stdout.splitlines()[0].startswith(f"{tmp_path / 'new.csv'}[row 2]: ")


def spec_file(folder: Path, text: str) -> str:
    path = folder / "m.arch"
    path.write_text(text)
    return str(path)


def test_predict_refuses_what_it_cannot_read(run: archdsl.FitRun, tmp_path: Path) -> None:
    np.save(tmp_path / "wrong.npy", np.zeros((3, 7), np.float32))
    (tmp_path / "notes.txt").write_text("hello")
    for path, message in (
        (tmp_path / "wrong.npy", "holds [3, 7]; model `digits_convnet` takes [1, 8, 8]"),
        (tmp_path / "notes.txt", "give images"),
        (tmp_path / "missing.png", "no such file"),
    ):
        result = run_cli("predict", str(SPEC), str(path), "--weights", str(run.last))
        assert result.returncode == 1
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_image_files_through_onnx_with_only_its_metadata_name_predicts_classes(
    tmp_path: Path,
) -> None:
    """Raw PNG files, read with Pillow: the ONNX file's metadata alone (input shape, raw
    scale, mean, std, class names) gives each file the class `archdsl predict` names."""
    from PIL import Image

    rng = np.random.default_rng(0)
    colours = {"blue": (0, 0, 200), "green": (0, 180, 0), "red": (220, 0, 0)}
    for name, colour in colours.items():
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(16):
            noise = rng.integers(-40, 40, (6, 10, 3))
            pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "photos" / name / f"{i}.png")
    spec = spec_file(tmp_path, "model c { input [3, 6, 10]\n flatten -> linear(3) }")
    data = f'imagefolder("{tmp_path / "photos"}", val=0.25)'
    with contextlib.redirect_stdout(io.StringIO()):
        run = archdsl.fit(spec, data=data, out=tmp_path / "run", epochs=3, batch=12)
    path = tmp_path / "c.onnx"
    result = run_cli("export", spec, "--weights", str(run.last), "--onnx", str(path))
    assert result.returncode == 0, result.stderr
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    channels, height, width = json.loads(meta["input_shape"])
    names = json.loads(meta["class_names"])
    assert names == sorted(colours)
    files = sorted((tmp_path / "photos").glob("*/*.png"))[::5]
    raw = np.stack(
        [np.asarray(Image.open(f).convert("RGB").resize((width, height))) for f in files]
    ).transpose(0, 3, 1, 2)
    assert raw.shape[1] == channels
    mean = np.array(json.loads(meta["mean"]), np.float32).reshape(1, -1, 1, 1)
    std = np.array(json.loads(meta["std"]), np.float32).reshape(1, -1, 1, 1)
    x = ((raw / np.float32(meta["raw_scale"]) - mean) / std).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(None, {session.get_inputs()[0].name: x})
    by_onnx = [names[i] for i in scores.argmax(1)]
    assert by_onnx == [f.parent.name for f in files]  # the colours are easy to tell apart
    result = run_cli("predict", spec, *map(str, files), "--weights", str(run.last), "--top", "1")
    assert result.returncode == 0, result.stderr
    by_predict = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()]
    assert by_predict == by_onnx
