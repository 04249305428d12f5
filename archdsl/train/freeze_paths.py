"""Does each path in `freeze` name a part of the model that has parameters?

Checked from the IR, whose node paths are the built module's names, so
`archdsl check` finds a misspelt path without torch.
"""

from __future__ import annotations

from archdsl.diagnostics.suggest import did_you_mean
from archdsl.ir import Model, Node
from archdsl.train.compat import Problem
from archdsl.train.config import TrainConfig


def freeze_problems(config: TrainConfig, model: Model) -> list[Problem]:
    nodes = {node.path: node for node in model.root.walk() if node.path}
    labels = [node.path for node in model.root.subnodes()]
    found: list[Problem] = []
    for i, path in enumerate(config.freeze):
        node = nodes.get(path)
        if node is None:
            help = did_you_mean(path, nodes) or "freeze a label of the model: " + ", ".join(labels)
            found.append(Problem(("freeze", i), f"model `{model.name}` has no part `{path}`", help))
        elif node.params == 0:
            found.append(Problem(("freeze", i), f"`{path}` has no parameters to freeze"))
    if not found and config.freeze and _frozen_params(config.freeze, nodes) == model.params:
        found.append(
            Problem(("freeze",), "`freeze` leaves nothing to learn", "leave a part unfrozen")
        )
    return found


def _frozen_params(paths: list[str], nodes: dict[str, Node]) -> int:
    """The parameters under `paths`, each counted once when one path lies inside another."""
    outer = [p for p in set(paths) if not any(p.startswith(f"{q}.") for q in paths)]
    return sum(nodes[p].params for p in outer)
