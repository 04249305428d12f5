"""`archdsl train`: train a spec's model as its train section says, flags overriding."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail
from archdsl.cli.needs import require_torch
from archdsl.cli.run_config import model_and_config


def train(
    spec: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The .arch file to train.", show_default=False)
    ],
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Which model of the file.")
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", metavar="N", help="Epochs to train.")
    ] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", metavar="N", help="Global batch size (all processes).")
    ] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", metavar="LR", help="The optimiser's learning rate.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", metavar="DIR", help="Where the dataset's files are.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DIR",
            help="Run folder [default: runs/MODEL].",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in the run folder.")
    ] = False,
    device: Annotated[
        str | None,
        typer.Option("--device", metavar="DEVICE", help="auto, cpu or cuda.", show_default=False),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", metavar="N", help="Random seed.")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Override any key: --set optimizer.momentum=0.9 (repeatable).",
        ),
    ] = None,
    nproc: Annotated[
        int,
        typer.Option("--nproc", metavar="N", help="Processes on this machine (data parallel)."),
    ] = 1,
    log: Annotated[
        str | None,
        typer.Option("--log", metavar="LOGGER", help="Also log epochs to: tensorboard, none."),
    ] = None,
) -> None:
    """Train a model; the spec's train section sets the defaults, flags override them."""
    flags = {
        "epochs": epochs,
        "batch": batch,
        "lr": lr,
        "data": data,
        "device": device,
        "seed": seed,
        "log": log,
    }
    if nproc < 1:
        fail("--nproc must be 1 or more", 2)
    folder = output if output is not None else out
    require_torch("train", "train")
    ir, config = model_and_config(spec, model, flags, sets)
    from archdsl.train.tensorboard_log import missing

    problem = missing(config.log)
    if problem is not None:
        fail(problem, 2)
    from archdsl.train.distributed import launch
    from archdsl.train.run import worker
    from archdsl.train.run_folder import RunOptions

    options = RunOptions(
        out=folder if folder is not None else Path("runs") / ir.name,
        resume=resume,
        command=_command_line(),
    )
    if options.out.exists() and not options.out.is_dir():
        fail(f"the run folder {options.out} is a file; choose a folder with --output", 2)
    if nproc > 1:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            fail("--nproc starts processes itself; under torchrun leave it out", 2)
        if config.batch % nproc:
            fail(f"the batch of {config.batch} does not split evenly over {nproc} processes", 1)
        code = launch(nproc, worker, ir, config, options)
    else:
        code = worker(ir, config, options)
    raise typer.Exit(code)


def _command_line() -> str:
    """The command as typed, without --resume: what continues the run."""
    args = [a for a in sys.argv[1:] if a != "--resume"]
    return shlex.join(["archdsl", *args])
