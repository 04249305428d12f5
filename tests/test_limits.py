"""Specs that would expand without bound are refused with a diagnostic, never by
hanging, exhausting memory or the stack; huge but finite models are counted exactly.

Each spec runs through the CLI in its own process. The timeout only guards
against a hang: how fast the answer comes is not what these tests measure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

HANG_GUARD = 60  # seconds


def model(*steps: str, shape: str = "[3, 32, 32]") -> str:
    body = "\n".join(f"  {s}" for s in steps)
    return f"model net {{\n  input {shape}\n{body}\n}}\n"


def doubling_blocks(depth: int, leaf: str, wrap: str = "{}") -> str:
    """Blocks each calling the next twice, `depth` deep: 2**depth leaves."""
    lines = [
        f"block level{i}() {{ {wrap.format(f'level{i + 1} -> level{i + 1}')} }}"
        for i in range(depth)
    ]
    lines.append(f"block level{depth}() {{ {leaf} }}")
    return "\n".join(lines) + "\n" + model("level0")


UNBOUNDED = {
    "repeat_a_billion": (model("repeat(10**9) relu"), "limit"),
    "nested_repeats_from_parameters": (
        "block cube(n) { repeat(n) repeat(n) repeat(n) relu }\n" + model("cube(1000)"),
        "limit",
    ),
    "blocks_calling_the_next_twice_40_deep": (doubling_blocks(40, "relu"), "limit"),
    "blocks_calling_the_next_twice_20_deep": (doubling_blocks(20, "relu"), "limit"),
    # Each leaf expands to nothing, so only the bound on steps can stop this.
    "doubling_blocks_that_expand_to_nothing": (
        doubling_blocks(25, "if false { relu }", "if true {{ {} }}"),
        "limit",
    ),
    "many_repeats_of_nothing": (
        "block idle() { repeat(99999) if false { relu } }\n" + model(*["idle"] * 300),
        "limit",
    ),
    "thousands_of_nested_parentheses": (
        model("conv(" + "(" * 5000 + "8" + ")" * 5000 + ", 1x1)"),
        "limit",
    ),
    "thousands_of_nested_braces": (model("{ " * 5000 + "relu" + " }" * 5000), "limit"),
    "thousands_of_nested_lists": (
        model("conv(" + "[" * 5000 + "8" + "]" * 5000 + ", 1x1)"),
        "limit",
    ),
    "a_sum_of_thousands_of_terms": (model("conv(" + "+".join(["1"] * 5000) + ", 1x1)"), "limit"),
    "thousands_of_unary_minuses": (model("conv(" + "-" * 5000 + "8, 1x1)"), "limit"),
    "5000_nested_repeats": (model("repeat(1) " * 5000 + "relu"), "limit"),
    "a_number_of_5000_digits": (model("conv(" + "9" * 5000 + ", 1x1)"), "limit"),
    "a_tower_of_powers": (model("conv(2 ** 2 ** 2 ** 2 ** 2 ** 2, 1x1)"), "limit"),
    # Each within its own bounds, together thousands of IR levels deep.
    "blocks_of_nested_braces_and_repeats": (
        "\n".join(
            f"block b{i}() {{ {'{ ' * 20}{'repeat(1) ' * 60}b{i + 1}{' }' * 20} }}"
            for i in range(30)
        )
        + "\nblock b30() { relu }\n"
        + model("b0"),
        "limit",
    ),
    "a_block_calling_itself": ("block grow() { relu -> grow }\n" + model("grow"), "recursion"),
    "blocks_calling_each_other": (
        "block ping() { relu -> pong }\nblock pong() { ping }\n" + model("ping"),
        "recursion",
    ),
}


@pytest.mark.parametrize("name", UNBOUNDED)
def test_unbounded_specs_are_refused(name: str, tmp_path: Path) -> None:
    text, code = UNBOUNDED[name]
    spec = tmp_path / f"{name}.arch"
    spec.write_text(text)
    result = run_cli("check", str(spec), "--json", timeout=HANG_GUARD)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    diags = json.loads(result.stdout)["diagnostics"]
    assert [d["code"] for d in diags] == [code]


def check_json(tmp_path: Path, text: str) -> dict[str, object]:
    spec = tmp_path / "huge.arch"
    spec.write_text(text)
    result = run_cli("check", str(spec), "--json", timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)["models"]
    assert isinstance(report, dict)
    return report


def test_a_trillion_parameters_are_counted_exactly(tmp_path: Path) -> None:
    report = check_json(tmp_path, model("linear(1_000_000)", shape="[1_000_000]"))
    assert report["params"] == 1_000_000 * 1_000_000 + 1_000_000
    assert report["macs"] == 1_000_000 * 1_000_000
    assert report["output"] == [1_000_000]


def test_a_million_wide_image_is_counted_exactly(tmp_path: Path) -> None:
    report = check_json(
        tmp_path,
        model(
            "conv(8, 3x3) -> relu",
            "avgpool(global) -> flatten -> linear(10)",
            shape="[3, 1_000_000, 1_000_000]",
        ),
    )
    side = 1_000_000 - 2
    assert report["params"] == (8 * 3 * 3 * 3 + 8) + (8 * 10 + 10)
    assert report["macs"] == 8 * side * side * (3 * 3 * 3) + 8 * 10
    assert report["output"] == [10]
    nodes = report["nodes"]
    assert isinstance(nodes, list)
    assert nodes[0]["out_shape"] == [8, side, side]


def test_a_chain_of_thousands_of_else_ifs_is_checked(tmp_path: Path) -> None:
    """Braces reset the bound on nesting, so an `else if` chain may be very long;
    it is walked in a loop, not by recursion that would exhaust the stack."""
    chain = "if false { relu } else " * 25_000 + "{ conv(8, 1x1) }"
    report = check_json(tmp_path, model(chain))
    assert report["output"] == [8, 32, 32]
    assert report["params"] == 3 * 8 + 8


def test_steps_that_expand_to_nothing_are_refused_where_they_pile_up(tmp_path: Path) -> None:
    text = doubling_blocks(25, "if false { relu }", "if true {{ {} }}")
    spec = tmp_path / "idle.arch"
    spec.write_text(text)
    result = run_cli("check", str(spec), "--json", timeout=HANG_GUARD)
    [diag] = json.loads(result.stdout)["diagnostics"]
    assert diag["message"] == "more than 10,000 steps of the model expand to no layer"
    # The count runs out next to the leaves, at the `if` of the last block but one.
    assert (diag["span"]["line"], diag["span"]["col"]) == (25, 19)


def test_a_step_that_expands_to_nothing_is_allowed_for_each_layer(tmp_path: Path) -> None:
    """15,000 false `if`s are far past the allowance alone, but each comes with a layer."""
    report = check_json(
        tmp_path,
        "block unit() { linear(4) -> if false { relu } }\n"
        + model("repeat(15_000) unit", shape="[4]"),
    )
    assert report["params"] == 15_000 * (4 * 4 + 4)
    assert report["output"] == [4]
