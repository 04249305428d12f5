"""`archdsl weights import`: torchvision layouts placed onto the zoo specs by order and
shape, and a file that does not fit refused with every tensor named.

The layouts (keys and shapes, in order) are torchvision 0.29.1's, copied into
tests/reference/torchvision_layouts.json; the values are seeded random numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from archdsl.loader import load
from archdsl.weights.importer import import_weights
from tests.helpers import ROOT, SPECS, run_cli

LAYOUTS = json.loads((ROOT / "tests/reference/torchvision_layouts.json").read_text())["models"]


def state_dict(name: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state_dict with torchvision's keys and shapes for `name`, filled from `seed`."""
    generator = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for key, shape in LAYOUTS[name]:
        if key.endswith("num_batches_tracked"):
            out[key] = torch.randint(1, 10**6, (), generator=generator)
        else:
            out[key] = torch.randn(shape, generator=generator)
    return out


def write(source: dict[str, torch.Tensor], path: Path) -> Path:
    """A .pth file keeps the state_dict's order; a .safetensors file stores its keys sorted."""
    if path.suffix == ".safetensors":
        save_file(source, path)
    else:
        torch.save(source, path)
    return path


HOW = {".pth": "order and shape", ".safetensors": "kind and shape, in name order"}


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenet_v2", "vgg16_bn", "googlenet"])
def test_every_tensor_lands_where_order_and_shape_say(
    name: str, suffix: str, tmp_path: Path
) -> None:
    source = state_dict(name)
    path = write(source, tmp_path / f"{name}{suffix}")
    model = load(SPECS / f"{name}.arch").model()
    imported = import_weights(model, str(path))
    assert imported.alignment.fits
    assert imported.alignment.how == HOW[suffix]
    counters = sum(k.endswith("num_batches_tracked") for k in source)
    assert len(imported.alignment.pairs) == len(source) - counters
    assert len(imported.tensors) == len(source)
    # The spec's i-th tensor is torchvision's i-th, value by value, counters included.
    for (ours, value), theirs in zip(imported.tensors.items(), source, strict=True):
        assert value.shape == source[theirs].shape, (ours, theirs)
        assert torch.equal(value, source[theirs]), (ours, theirs)
    del source, imported


SPEC18 = str(SPECS / "resnet18.arch")


def test_import_writes_weights_with_metadata(tmp_path: Path) -> None:
    torch.save(state_dict("resnet18", seed=3), tmp_path / "r18.pth")
    result = run_cli(
        "weights",
        "import",
        str(tmp_path / "r18.pth"),
        SPEC18,
        "-o",
        str(tmp_path / "w.safetensors"),
    )
    assert result.returncode == 0, result.stderr
    assert "placed 102 of 102 tensors of `resnet18`" in result.stdout
    with safe_open(str(tmp_path / "w.safetensors"), "pt") as f:
        meta = f.metadata()
    assert meta["source"] == "r18.pth"
    assert meta["model"] == "resnet18"
    assert len(meta["model_hash"]) >= 16
    assert json.loads(meta["not_imported"]) == []
    written = load_file(str(tmp_path / "w.safetensors"))
    assert torch.equal(written["stem.0.weight"], state_dict("resnet18", seed=3)["conv1.weight"])


def _mismatched(tmp_path: Path, suffix: str = ".pth") -> Path:
    source = state_dict("resnet18")
    del source["layer2.0.bn1.running_var"]
    source["fc.weight"] = torch.randn(999, 512)
    return write(source, tmp_path / f"bad{suffix}")


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_file_that_does_not_fit_is_refused_naming_each_tensor(
    tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / "w.safetensors"
    bad = _mismatched(tmp_path, suffix)
    result = run_cli("weights", "import", str(bad), SPEC18, "-o", str(target))
    assert result.returncode == 1
    assert "shape differs: model head.2.weight [1000, 512], source fc.weight [999, 512]" in (
        result.stderr
    )
    assert "missing from the source: model layer2.0.0.body.1.running_var [128]" in result.stderr
    assert "nothing written" in result.stderr
    assert "(2 tensors above; 100 of 102 fit)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_partial_keeps_what_fits_and_records_the_rest(tmp_path: Path) -> None:
    bad = _mismatched(tmp_path)
    target = tmp_path / "w.safetensors"
    result = run_cli("weights", "import", str(bad), SPEC18, "-o", str(target), "--partial")
    assert result.returncode == 0, result.stderr
    assert "placed 100 of 102 tensors" in result.stdout
    with safe_open(str(target), "pt") as f:
        meta = f.metadata()
    assert json.loads(meta["not_imported"]) == [
        "head.2.weight",
        "layer2.0.0.body.1.running_var",
    ]
    written = load_file(str(target))
    source = torch.load(bad, weights_only=True)
    assert torch.equal(written["head.2.bias"], source["fc.bias"])
    assert written["head.2.weight"].shape == (1000, 512)


def test_a_safetensors_file_pairs_by_name(tmp_path: Path) -> None:
    """An imported file imports again as it is: safetensors keeps names, not order."""
    torch.save(state_dict("resnet18", seed=5), tmp_path / "r18.pth")
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert (
        run_cli("weights", "import", str(tmp_path / "r18.pth"), SPEC18, "-o", str(first)).returncode
        == 0
    )
    result = run_cli("weights", "import", str(first), SPEC18, "-o", str(second))
    assert result.returncode == 0, result.stderr
    assert "(by name)" in result.stdout
    a, b = load_file(str(first)), load_file(str(second))
    assert all(torch.equal(a[k], b[k]) for k in a) and a.keys() == b.keys()


def test_a_foreign_safetensors_file_imports_as_its_pth_does(tmp_path: Path) -> None:
    """torchvision's names in a .safetensors file: not the spec's, so kind and shape pair
    them, and the weights written are those the same state_dict gives as a .pth file."""
    source = state_dict("resnet18", seed=9)
    results = {}
    for suffix in (".pth", ".safetensors"):
        target = tmp_path / f"from{suffix}.out.safetensors"
        path = write(source, tmp_path / f"r18{suffix}")
        result = run_cli("weights", "import", str(path), SPEC18, "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert f"placed 102 of 102 tensors of `resnet18` from r18{suffix} (by {HOW[suffix]})" in (
            result.stdout
        )
        results[suffix] = load_file(str(target))
    a, b = results[".pth"], results[".safetensors"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with safe_open(str(tmp_path / "from.safetensors.out.safetensors"), "pt") as f:
        assert f.metadata()["matched_by"] == "kind and shape, in name order"


def test_unreadable_sources_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.pth").write_bytes(b"not a pickle")
    cases = {
        str(tmp_path / "junk.pth"): "is not a readable torch state_dict",
        str(tmp_path / "absent.pth"): "weights file not found",
        "no_such_model_name": "is not a weights file",
    }
    for source, message in cases.items():
        result = run_cli("weights", "import", source, SPEC18, "-o", str(tmp_path / "w.safetensors"))
        assert result.returncode == 1, source
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
