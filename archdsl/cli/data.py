"""`archdsl data`: download datasets that do not come with a library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail, out

data_app = typer.Typer(
    help="Download datasets.", no_args_is_help=True, add_completion=False, rich_markup_mode=None
)


@data_app.command("cifar10")
def cifar10(
    into: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DIR",
            help="Folder to unpack into [default: $ARCHDSL_DATA].",
            show_default=False,
        ),
    ] = None,
    old_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
    url: Annotated[
        str | None, typer.Option("--url", metavar="URL", help="Where to download from.")
    ] = None,
    md5: Annotated[
        str | None,
        typer.Option("--md5", metavar="DIGEST", help="The archive's expected MD5 digest."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Download even if present.")] = False,
    deadline: Annotated[
        float, typer.Option("--deadline", min=1, help="Give up after this many seconds.")
    ] = 3600,
) -> None:
    """Download CIFAR-10's python batches, verify the archive's MD5, and unpack them."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from archdsl.train.data import cifar10_files as files
    from archdsl.train.data.download import download_cifar10, is_complete
    from archdsl.train.errors import DataError

    into = into if into is not None else old_out
    root = into if into is not None else files.default_root()
    if is_complete(root) and not force:
        out.print(f"CIFAR-10 is already in {root / files.FOLDER} (--force downloads it again)")
        return
    source = url or files.URL
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=out,
        transient=True,
    ) as bar:
        task = bar.add_task("CIFAR-10", total=None)
        try:
            folder = download_cifar10(
                root,
                source,
                md5 or files.MD5,
                lambda done, total: bar.update(task, completed=done, total=total),
                deadline=deadline,
            )
        except DataError as exc:
            fail(str(exc), 1)
            return
    out.print(f"CIFAR-10 verified and unpacked into {folder}")
    out.print(f"train with --data {root}, or set ARCHDSL_DATA={root}")
