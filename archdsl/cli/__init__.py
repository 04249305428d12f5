"""The `archdsl` command line. Each command lives in its own module and imports
what it needs (torch included) only when it runs, so `archdsl check` stays fast."""

from __future__ import annotations

import os

import typer

from archdsl.cli.check import check
from archdsl.cli.data import data_app
from archdsl.cli.diff import diff
from archdsl.cli.eject import eject
from archdsl.cli.evaluate import evaluate
from archdsl.cli.export import export
from archdsl.cli.graph import graph
from archdsl.cli.predict import predict
from archdsl.cli.train import train

app = typer.Typer(
    name="archdsl",
    help="Check, build, train and export neural-network architectures written in .arch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(check)
app.command()(graph)
app.command()(diff)
app.command()(export)
app.command()(eject)
app.command()(train)
app.command(name="eval")(evaluate)
app.command()(predict)
app.add_typer(data_app, name="data")


@app.callback()
def _root() -> None:
    """archdsl: neural-network architectures as checked, readable specs."""


def main() -> None:
    # The CLI loads no pydantic plugins: scanning every installed package's
    # entry points would cost `check` a good part of its time budget.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()
