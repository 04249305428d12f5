"""The typer app of the `archdsl` command line: one module per command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from archdsl.cli.check import check
from archdsl.cli.data import data_app
from archdsl.cli.diff import diff
from archdsl.cli.eject import eject
from archdsl.cli.evaluate import evaluate
from archdsl.cli.export import export
from archdsl.cli.fmt import fmt
from archdsl.cli.graph import graph
from archdsl.cli.lsp import lsp
from archdsl.cli.predict import predict
from archdsl.cli.train import train
from archdsl.cli.weights import weights_app

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="archdsl",
    help="Check, build, train and export neural-network architectures written in .arch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _command(function: Callable[..., Any], name: str | None = None) -> None:
    """Register a command; the list of commands shows its docstring's whole first line."""
    summary = (function.__doc__ or "").strip().splitlines()[0]
    app.command(name=name, short_help=summary)(function)


for _function in (check, fmt, graph, diff, export, eject, train):
    _command(_function)
_command(evaluate, "eval")
_command(predict)
_command(lsp)
app.add_typer(data_app, name="data", short_help=data_app.info.help)
app.add_typer(weights_app, name="weights", short_help=weights_app.info.help)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"archdsl {version('archdsl')}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print archdsl's version and exit.",
        ),
    ] = False,
) -> None:
    """archdsl: neural-network architectures as checked, readable specs."""
