"""A model in a notebook: a short repr, a summary, an HTML table and a Graphviz drawing."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

import archdsl
from archdsl.ir import Model
from tests.helpers import SPECS


@pytest.fixture(scope="module")
def resnet50() -> Model:
    return archdsl.load(SPECS / "resnet50.arch").model()


def test_repr_is_one_short_line(resnet50: Model) -> None:
    assert repr(resnet50) == (
        "Model(name='resnet50', input=[3, 224, 224], output=[1000], "
        "params=25,557,032, macs=4,089,184,256)"
    )
    assert len(repr(archdsl.load(SPECS / "resnet50.arch"))) < 200


def test_summary_is_the_check_table(resnet50: Model) -> None:
    text = resnet50.summary()
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Op", "Output", "Params", "MACs"]
    layer3 = next(line for line in lines if line.startswith("layer3 "))
    assert layer3.split()[-5:] == ["1024,", "14,", "14]", "7,098,368", "1,464,336,384"]
    assert "Params       25,557,032" in text
    # Depth 0 keeps only the model's own steps; None shows every layer.
    assert [line.split()[0] for line in resnet50.summary(0).splitlines()[2:8]] == [
        "stem", "layer1", "layer2", "layer3", "layer4", "head",
    ]  # fmt: skip
    assert len(resnet50.summary(None).splitlines()) > len(text.splitlines())


def test_html_table_rows_and_totals(resnet50: Model) -> None:
    html = resnet50._repr_html_()
    assert html.startswith("<table") and html.endswith("</table>")
    cells = re.findall(r"<tr><td>(?:&nbsp;)*([\w.]+)</td><td>(.*?)</td><td>(.*?)</td>", html)
    by_path = {path: (op, shape) for path, op, shape in cells}
    assert by_path["layer3"] == ("bottleneck_stage(256, 6, stride=2)", "[N, 1024, 14, 14]")
    assert by_path["stem.0"][0] == "conv(64, 7x7, stride=2, padding=3, bias=false)"
    assert len(cells) == len(resnet50.summary().splitlines()) - 12  # header, rule, totals, note
    assert "25,557,032 params" in html


def test_html_escapes_what_it_quotes() -> None:
    model = archdsl.load("model a_b { input [4]\n linear(2) }\n").model()
    html = model._repr_html_()
    assert "<b>a_b</b>" in html
    assert "&rarr;" in html and "[N, 4]" in html


def test_svg_is_none_without_graphviz(resnet50: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert resnet50._repr_svg_() is None


def test_svg_is_drawn_by_dot(
    resnet50: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in `dot` that wraps its input: the DOT text reaches it and its output returns."""
    dot = tmp_path / "dot"
    dot.write_text('#!/bin/sh\necho "<svg format=\\"$1\\">"\ncat\necho "</svg>"\n')
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    svg = resnet50._repr_svg_()
    assert svg is not None
    assert svg.startswith('<svg format="-Tsvg">')
    assert "digraph" in svg and "layer3" in svg


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_by_graphviz(resnet50: Model) -> None:
    svg = resnet50._repr_svg_()
    assert svg is not None and "<svg" in svg and "layer3" in svg
