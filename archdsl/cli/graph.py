"""`archdsl graph`: a diagram of a model as SVG, PNG, DOT or Mermaid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archdsl.cli.console import err, fail, require_folder_of
from archdsl.cli.load_spec import load_or_exit, one_model

SUFFIXES = (".svg", ".png", ".dot", ".mmd")


def graph(
    spec: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The .arch file to draw.", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Where to write: .svg or .png (drawn by Graphviz), .dot or .mmd (Mermaid).",
            show_default=False,
        ),
    ],
    model: Annotated[
        str | None, typer.Option("--model", metavar="NAME", help="Draw this model of the file.")
    ] = None,
    expand: Annotated[
        bool, typer.Option("--expand", help="Open every block, however deep.")
    ] = False,
    depth: Annotated[
        int,
        typer.Option(
            "--depth",
            metavar="N",
            help="Open blocks this many calls deep; deeper ones are one node each.",
        ),
    ] = 1,
    rankdir: Annotated[
        str,
        typer.Option(
            "--rankdir",
            metavar="TB|LR",
            help="TB draws top to bottom, LR left to right (wide screens, deep models).",
        ),
    ] = "TB",
) -> None:
    """Draw a model: blocks, branches side by side, shapes on the edges, params per node.

    Blocks the model calls are opened and the blocks they call are drawn closed
    (--depth sets how deep, --expand opens all).
    """
    suffix = output.suffix.lower()
    if suffix not in SUFFIXES:
        fail(f"cannot tell the format of {output}: name a file ending in {', '.join(SUFFIXES)}", 2)
    if depth < 0 and not expand:
        fail("--depth must be 0 or more (--expand opens every block)", 2)
    if rankdir.upper() not in ("TB", "LR"):
        fail(f"--rankdir must be TB or LR, not {rankdir!r}", 2)
    require_folder_of(output)
    program = load_or_exit(spec, model)
    chosen = one_model(program, spec, model)

    from archdsl.graph.diagram import Direction, build_diagram

    direction: Direction = "LR" if rankdir.upper() == "LR" else "TB"
    diagram = build_diagram(chosen, None if expand else depth, direction)
    if suffix == ".mmd":
        from archdsl.graph.mermaid import to_mermaid

        _write(output, to_mermaid(diagram))
    else:
        from archdsl.graph.dot import to_dot

        text = to_dot(diagram)
        if suffix == ".dot":
            _write(output, text)
        else:
            from archdsl.graph.graphviz import GraphvizError, render

            try:
                render(text, output)
            except GraphvizError as exc:
                fail(str(exc), 1)
    err.print(f"wrote {output} ({len(diagram.nodes)} nodes, {len(diagram.edges)} edges)")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}", 1)
