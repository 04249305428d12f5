"""What the README and the docs show is what the tools print."""

from __future__ import annotations

import re

import archdsl
from tests.helpers import ROOT, SPECS, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_block(text: str, first_line: str) -> list[str]:
    start = text.index(first_line)
    return text[start : text.index("```", start)].rstrip("\n").split("\n")


def test_readme_shows_what_build_prints() -> None:
    shown = re.search(r"print\(model\.head\[2\]\)  # (.+)", README)
    assert shown is not None
    module = archdsl.build(SPECS / "resnet50.arch")
    assert str(module.get_submodule("head.2")) == shown.group(1)


def test_tools_md_diff_example_is_what_diff_prints() -> None:
    tools = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    shown = _code_block(tools, "   Layer         Change")
    result = run_cli("diff", "specs/resnet18.arch", "specs/resnet34.arch")
    assert result.returncode == 1  # they differ
    printed = [line.rstrip() for line in result.stdout.split("\n")]
    for line in shown:
        if line != "...":
            assert line in printed, line


def test_readme_counts_the_zoo() -> None:
    count = re.search(r"\[The model zoo\]\(specs/README\.md\): (\d+) networks", README)
    assert count is not None
    table = (SPECS / "README.md").read_text(encoding="utf-8")
    rows = [line for line in table.split("\n") if line.startswith("| [")]
    assert int(count.group(1)) == len(rows) == len(list(SPECS.glob("*.arch")))


def test_every_check_option_is_documented() -> None:
    help_text = run_cli("check", "--help").stdout
    options = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}
    assert "--ir" in options
    docs = README + "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    assert {o for o in options if not re.search(re.escape(o) + r"\b", docs)} == set()
