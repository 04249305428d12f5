"""Receptive fields and effective strides against values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archdsl
from archdsl.analysis.receptive_field import Field, _largest_bin, receptive_fields
from tests.helpers import SPECS, run_cli


def fields_of(text: str) -> dict[str, Field]:
    fields = receptive_fields(archdsl.load(text).model())
    assert fields is not None
    return fields


def sizes(fields: dict[str, Field], paths: list[str]) -> list[tuple[int, int]]:
    return [fields[p].size for p in paths]


def test_plain_conv_stack() -> None:
    fields = fields_of(
        """
        model stack {
          input [3, 64, 64]
          conv(8, 3x3, padding=1)              # rf 3, jump 1
          conv(8, 3x3, stride=2, padding=1)    # 3 + 2*1 = 5, jump 2
          maxpool(2x2)                         # 5 + 1*2 = 7, jump 4
          conv(8, 3x3, dilation=2, padding=2)  # k_eff 5: 7 + 4*4 = 23
          conv(8, 1x7, padding=[0, 3])         # width 23 + 6*4 = 47
          avgpool(global) -> flatten -> linear(10)
        }
        """
    )
    paths = ["0", "1", "2", "3", "4"]
    assert sizes(fields, paths) == [(3, 3), (5, 5), (7, 7), (23, 23), (23, 47)]
    assert [fields[p].jump for p in paths] == [(1, 1), (2, 2), (4, 4), (4, 4), (4, 4)]
    assert fields["3"].left == (-1 - 1 - 2 * 4, -1 - 1 - 2 * 4)
    for path in ("5", "6", "7", ""):
        assert fields[path] == Field((64, 64), (64, 64), (0, 0), whole=True)


def test_residual_takes_the_wider_of_body_and_shortcut() -> None:
    fields = fields_of(
        """
        model res {
          input [16, 32, 32]
          stem: conv(16, 3x3, padding=1)                 # rf 3, field [-1, 2)
          down: residual {
            conv(32, 3x3, stride=2, padding=1)           # 3 + 2 = 5, field [-2, 3)
            conv(32, 3x3, padding=1)                     # 5 + 2*2 = 9, field [-4, 5)
          } project {
            conv(32, 1x1, stride=2)                      # 3, field [-1, 2)
          }
          same: residual { conv(32, 3x3, padding=1) }    # body 9 + 2*2 = 13; identity 9
          wide: residual {
            conv(64, 1x1, stride=2)                      # 13, jump 4
          } project {
            avgpool(3x3, stride=2, padding=1) -> conv(64, 1x1)  # 13 + 2*2 = 17
          }
        }
        """
    )
    assert fields["down.body"].size == (9, 9)
    assert fields["down.project"].size == (3, 3)
    assert fields["down"] == Field((9, 9), (2, 2), (-4, -4))
    assert fields["same"].size == (13, 13)
    assert fields["wide.body"].size == (13, 13)
    assert fields["wide"] == Field((17, 17), (4, 4), (-8, -8))


INCEPTION = """
block inception(c1, r3, c3, r5, c5, cp) {
  concat {
    | conv(c1, 1x1) -> relu
    | conv(r3, 1x1) -> relu -> conv(c3, 3x3, padding=1) -> relu
    | conv(r5, 1x1) -> relu -> conv(c5, 5x5, padding=2) -> relu
    | maxpool(3x3, stride=1, padding=1) -> conv(cp, 1x1) -> relu
  }
}

model tiny_inception {
  input [3, 32, 32]
  stem: conv(16, 3x3, stride=2, padding=1) -> relu
  a: inception(8, 8, 16, 4, 8, 8)
  b: inception(8, 8, 16, 4, 8, 8)
  head: avgpool(global) -> flatten -> linear(10)
}
"""


def test_inception_module_takes_the_largest_branch() -> None:
    fields = fields_of(INCEPTION)
    assert fields["stem"] == Field((3, 3), (2, 2), (-1, -1))
    # Branches from rf 3, jump 2: 1x1 keeps 3; 3x3 adds 2*2; 5x5 adds 4*2; 3x3 pool adds 2*2.
    assert sizes(fields, ["a.0.0", "a.0.1", "a.0.2", "a.0.3"]) == [(3, 3), (7, 7), (11, 11), (7, 7)]
    assert fields["a"] == Field((11, 11), (2, 2), (-5, -5))
    assert fields["b"] == Field((19, 19), (2, 2), (-9, -9))
    assert fields["head"].whole


def test_merge_spans_branches_that_are_not_centred_alike() -> None:
    # A 2x2 conv with padding=same pads 0 before and 1 after, so two of them
    # see [0, 3) while a padded 3x3 sees [-1, 2): together [-1, 3), 4 pixels.
    fields = fields_of(
        """
        model offset {
          input [3, 16, 16]
          add {
            | conv(4, 3x3, padding=1)
            | conv(4, 2x2, padding=same) -> conv(4, 2x2, padding=same)
          }
        }
        """
    )
    assert fields["0.0"].size == (3, 3)
    assert fields["0.1"] == Field((3, 3), (1, 1), (0, 0))
    assert fields["0"] == Field((4, 4), (1, 1), (-1, -1))


def test_adaptive_pooling_bins() -> None:
    assert _largest_bin(8, 4) == 2
    assert _largest_bin(13, 6) == 3  # bins [0,3) [2,5) [4,7) [6,9) [8,11) [10,13)
    assert _largest_bin(6, 6) == 1
    fields = fields_of(
        """
        model alex_head {
          input [8, 13, 13]
          adaptive_avgpool(6x6)
          adaptive_maxpool(1x1)
        }
        """
    )
    assert fields["0"] == Field((3, 3), (3, 3), (0, 0))
    assert fields["1"].whole


def test_flat_models_have_no_field() -> None:
    model = archdsl.load("model mlp { input [784]\n linear(10) }").model()
    assert receptive_fields(model) is None


def test_resnet50_sees_427_pixels_at_the_end_of_layer4() -> None:
    fields = receptive_fields(archdsl.load("specs/resnet50.arch").model())
    assert fields is not None
    assert fields["layer4"] == Field((427, 427), (32, 32), (-213, -213))
    assert [fields[f"layer{i}"].size[0] for i in range(1, 5)] == [35, 91, 267, 427]
    assert fields["head"] == Field((224, 224), (224, 224), (0, 0), whole=True)


def test_check_reports_rf_in_json_and_table() -> None:
    result = run_cli("check", "specs/resnet50.arch", "--json")
    assert result.returncode == 0, result.stderr
    nodes = {n["path"]: n for n in json.loads(result.stdout)["models"][0]["nodes"]}
    assert nodes["layer4"]["rf"] == [427, 427]
    assert nodes["layer4"]["jump"] == [32, 32]
    assert nodes["layer4"]["rf_whole"] is False
    assert nodes["head.2"]["rf_whole"] is True
    assert nodes["stem.0"]["rf"] == [7, 7]

    table = run_cli("check", "specs/resnet50.arch", "--rf")
    assert table.returncode == 0, table.stderr
    header = table.stdout.splitlines()[0].split()
    assert header == ["Layer", "Op", "Output", "RF", "Jump", "Params", "MACs"]
    layer4 = next(line for line in table.stdout.splitlines() if line.startswith("layer4 "))
    assert layer4.split()[-4:-2] == ["427", "32"]
    head = next(line for line in table.stdout.splitlines() if line.startswith("head "))
    assert " all " in head
    plain = run_cli("check", "specs/resnet50.arch")
    assert plain.stdout.splitlines()[0].split() == ["Layer", "Op", "Output", "Params", "MACs"]


# Receptive fields at the last spatial layer, as published by Araujo, Norris and
# Sim, "Computing Receptive Fields of Convolutional Neural Networks" (Distill,
# 2019), for the zoo specs that share those networks' layouts.
PUBLISHED = {
    "alexnet": 195,
    "vgg16": 212,
    "mobilenet_v1": 315,
    "mobilenet_v2": 491,
    "inception_v4": 2071,
    "inception_resnet_v2": 3039,
}


@pytest.mark.parametrize(("name", "rf"), sorted(PUBLISHED.items()))
def test_zoo_matches_published_receptive_fields(name: str, rf: int) -> None:
    spec = SPECS / f"{name}.arch"
    if not spec.exists():
        pytest.skip(f"specs/{name}.arch is not in this checkout")
    fields = receptive_fields(archdsl.load(spec).model())
    assert fields is not None
    assert max(f.size for f in fields.values() if not f.whole) == (rf, rf)


def test_inception_v3_main_path_matches_the_published_field(tmp_path: Path) -> None:
    # Distill's 1311 is the field of Inception-v3's main path. The zoo spec adds
    # the auxiliary head as a second output, a graph of named values, whose field
    # is not computed; the main path is the spec without it, from the same blocks.
    spec = tmp_path / "inception_v3_main.arch"
    spec.write_text(
        f'use "{SPECS / "lib" / "inception.arch"}"\n'
        "model inception_v3_main {\n"
        "  input [3, 299, 299]\n"
        "  expect params = 23_834_568, macs = 5_713_216_096\n"
        "  inception_v3_stem\n"
        "  inception_a(32) -> inception_a(64) -> inception_a(64)\n"
        "  inception_b\n"
        "  inception_c(128) -> inception_c(160) -> inception_c(160) -> inception_c(192)\n"
        "  inception_d\n"
        "  inception_e -> inception_e\n"
        "  avgpool(global) -> flatten -> dropout(0.5) -> linear(1000)\n"
        "}\n",
        encoding="utf-8",
    )
    fields = receptive_fields(archdsl.load(spec).model())
    assert fields is not None
    assert max(f.size for f in fields.values() if not f.whole) == (1311, 1311)
