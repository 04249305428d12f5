"""An image folder streamed from disk by DataLoader workers trains exactly as in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archdsl.train.config import ImageFolder
from archdsl.train.data import load_data
from archdsl.train.data.base import Split, Stream
from tests.helpers import run_cli
from tests.train_helpers import history, identical, train_here, weights

SPEC = """
model shapes {
  input [3, 16, 16]
  conv(8, 3x3, padding=1) -> relu -> maxpool(2x2)
  conv(16, 3x3, padding=1) -> relu -> avgpool(global) -> flatten -> linear(3)
}
"""


def write_images(root: Path, per_class: int = 30) -> None:
    """Three classes told apart by which colour channel is bright, with noise."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(("red", "green", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 90, (20, 20, 3), dtype=np.uint8)
            pixels[..., label] += 150
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_streamed_and_in_memory_give_the_same_samples(tmp_path: Path) -> None:
    write_images(tmp_path)
    memory = load_data(ImageFolder(path=str(tmp_path), stream=False), (3, 16, 16), (3,))
    streamed = load_data(ImageFolder(path=str(tmp_path), stream=True), (3, 16, 16), (3,))
    assert isinstance(memory.train, Split) and isinstance(streamed.train, Stream)
    assert memory.class_names == streamed.class_names == ["blue", "green", "red"]
    assert streamed.sample_shape == (3, 16, 16)
    for i in (0, 17, len(memory.train) - 1):
        x, y = streamed.train.dataset[i]
        assert np.array_equal(x.numpy(), memory.train.x[i].numpy())
        assert y == int(memory.train.y[i])


def test_a_streamed_run_equals_the_in_memory_run(tmp_path: Path) -> None:
    write_images(tmp_path / "images")
    settings = {
        "epochs": 2,
        "batch": 8,
        "device": "cpu",
        "optimizer": "sgd(lr=0.05, momentum=0.9)",
    }
    data = f'imagefolder("{tmp_path / "images"}", augment=[crop(16, padding=2), flip]'
    spec = tmp_path / "s.arch"
    spec.write_text(SPEC)
    code, printed = train_here(spec, tmp_path / "mem", data=data + ", stream=false)", **settings)
    assert code == 0, printed
    code, printed = train_here(
        spec, tmp_path / "str", data=data + ", stream=true, workers=2)", **settings
    )
    assert code == 0, printed
    assert "on imagefolder: 72 samples, 18 held out" in printed
    assert identical(
        weights(tmp_path / "mem" / "last.safetensors"),
        weights(tmp_path / "str" / "last.safetensors"),
    )
    assert history(tmp_path / "str")[-1]["val_acc"] == history(tmp_path / "mem")[-1]["val_acc"]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_damaged_image_in_a_stream_is_one_clear_message(tmp_path: Path, workers: int) -> None:
    write_images(tmp_path / "images", per_class=6)
    (tmp_path / "images" / "green" / "3.png").write_bytes(b"not an image")
    spec = tmp_path / "s.arch"
    spec.write_text(SPEC)
    data = f'data=imagefolder("{tmp_path / "images"}", stream=true, workers={workers})'
    result = run_cli(
        "train",
        str(spec),
        "--out",
        str(tmp_path / "run"),
        "--set",
        data,
        "--device",
        "cpu",
        "--batch",
        "4",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'images' / 'green' / '3.png'} is not a readable image" in result.stderr
