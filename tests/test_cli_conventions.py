"""The command line's conventions: -h, --version, -o/--output, plain metavars, whole summaries."""

from __future__ import annotations

import re
from importlib.metadata import version

from typer.testing import CliRunner

from archdsl.cli import app
from tests.helpers import loaded_after, run_python

runner = CliRunner()


def test_version_and_short_help() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"archdsl {version('archdsl')}\n"
    assert runner.invoke(app, ["-h"]).stdout == runner.invoke(app, ["--help"]).stdout
    assert runner.invoke(app, ["check", "-h"]).exit_code == 0


def test_command_list_shows_whole_descriptions() -> None:
    text = runner.invoke(app, ["-h"], terminal_width=200).stdout
    # The column width follows the longest command name, so the gap is matched loosely.
    eject = "Write a spec's model as plain PyTorch: one nn.Module class per block, no archdsl."
    assert re.search(r"\n  eject +" + re.escape(eject) + "\n", text)
    lsp = "Serve the Language Server Protocol on stdin and stdout, for editors."
    assert re.search(r"\n  lsp +" + re.escape(lsp) + "\n", text)
    assert re.search(r"\n  weights +Import pretrained weights\.\n", text)
    assert "...\n" not in text.split("Commands:")[1]
    assert "--install-completion" in text


def test_every_output_is_dash_o_and_old_flags_are_hidden() -> None:
    for command in (
        ["export"],
        ["eject"],
        ["graph"],
        ["train"],
        ["data", "cifar10"],
        ["weights", "import"],
    ):
        text = runner.invoke(app, [*command, "-h"], terminal_width=200).stdout
        assert re.search(r"-o, --output (FILE|DIR)", text), command
        assert "--onnx" not in text and "--out " not in text


def test_metavars_are_plain() -> None:
    for command in ("check", "train", "eval", "export", "graph", "diff", "fmt"):
        text = runner.invoke(app, [command, "-h"], terminal_width=200).stdout
        assert "range" not in text and "x>=" not in text, command
        assert "<int>" not in text and "<str>" not in text, command
    train = runner.invoke(app, ["train", "-h"], terminal_width=200).stdout
    assert "--nproc N" in train and "--epochs N" in train and "--model NAME" in train


def test_nproc_below_one_is_a_usage_error() -> None:
    result = runner.invoke(app, ["train", "specs/digits_mlp.arch", "--nproc", "0"])
    assert result.exit_code == 2
    assert "--nproc must be 1 or more" in result.output


def test_launch_flags_that_do_not_fit_are_usage_errors() -> None:
    cases = {
        ("--nnodes", "0"): "--nnodes must be 1 or more",
        ("--nnodes", "2"): "--nnodes above 1 needs --rdzv-endpoint HOST:PORT",
        ("--rdzv-endpoint", "host"): "--rdzv-endpoint takes HOST:PORT, a port from 1 to 65535, "
        "not 'host'",
        ("--rdzv-endpoint", "host:70000"): "not 'host:70000'",
        ("--nnodes", "2", "--node-rank", "2", "--rdzv-endpoint", "h:29400"): (
            "--node-rank must be 0 to 1 for --nnodes 2"
        ),
        ("--node-rank", "0"): "--node-rank needs --rdzv-endpoint HOST:PORT, machine 0's address",
    }
    for flags, message in cases.items():
        result = runner.invoke(app, ["train", "specs/digits_mlp.arch", *flags])
        assert result.exit_code == 2, flags
        assert message in result.output, flags


def test_check_loads_neither_the_formatter_nor_the_language_server() -> None:
    modules = ["archdsl.format", "archdsl.lsp", "pygls", "jsonschema", "archdsl.cli.lsp"]
    # `check` does not even load the typer app that registers the lsp command.
    assert loaded_after(["check", "specs/resnet18.arch"], modules) == [False] * 5


def test_lsp_without_pygls_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['pygls'] = None  # as if pygls were not installed\n"
        "sys.argv = ['archdsl', 'lsp']\n"
        "from archdsl.cli import main\n"
        "main()\n"
    )
    result = run_python(code)
    assert result.returncode == 2
    assert "the language server needs pygls: pip install 'archdsl[lsp]'" in result.stderr
    assert "Traceback" not in result.stderr
