"""`archdsl train`: train a spec's model as its train section says, flags overriding."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import fail
from archdsl.cli.launch_options import check_launch_flags
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
    nnodes: Annotated[
        int, typer.Option("--nnodes", metavar="N", help="Machines taking part, each with --nproc.")
    ] = 1,
    node_rank: Annotated[
        int | None,
        typer.Option(
            "--node-rank",
            metavar="R",
            help="This machine's place, 0 to N-1; 0 holds the run folder (else the rendezvous "
            "places the machines).",
            show_default=False,
        ),
    ] = None,
    rdzv_endpoint: Annotated[
        str | None,
        typer.Option(
            "--rdzv-endpoint",
            metavar="HOST:PORT",
            help="Where the machines meet (with --node-rank: machine 0's address).",
            show_default=False,
        ),
    ] = None,
    rdzv_id: Annotated[
        str, typer.Option("--rdzv-id", metavar="ID", help="The run's name, alike on every machine.")
    ] = "archdsl",
) -> None:
    """Train a model; the spec's train section sets the defaults, flags override them."""
    flags = {
        "epochs": epochs,
        "batch": batch,
        "lr": lr,
        "data": data,
        "device": device,
        "seed": seed,
    }
    check_launch_flags(nproc, nnodes, node_rank, rdzv_endpoint)
    folder = output if output is not None else out
    require_torch("train", "train")
    ir, config = model_and_config(spec, model, flags, sets)
    from archdsl.train.launch import Launch, launch
    from archdsl.train.run import worker
    from archdsl.train.run_folder import RunOptions

    options = RunOptions(
        out=folder if folder is not None else Path("runs") / ir.name,
        resume=resume,
        command=_command_line(),
    )
    if options.out.exists() and not options.out.is_dir():
        fail(f"the run folder {options.out} is a file; choose a folder with --output", 2)
    plan = Launch(nproc, nnodes, node_rank, rdzv_endpoint, rdzv_id)
    if not plan.needed:
        raise typer.Exit(worker(ir, config, options))
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        fail("--nproc starts processes itself; under torchrun leave it out", 2)
    if config.batch % plan.processes:
        fail(
            f"the batch of {config.batch} does not split evenly over {plan.processes} processes", 1
        )
    ending = launch(plan, ir, config, options)
    if ending.message is not None:
        fail(ending.message, ending.code)
    raise typer.Exit(ending.code)


def _command_line() -> str:
    """The command as typed, without --resume: what continues the run."""
    args = [a for a in sys.argv[1:] if a != "--resume"]
    return shlex.join(["archdsl", *args])
