"""Which output of a model its loss trains, and which others it weighs as auxiliary
(no torch here: `check` and the train section's resolution use it)."""

from __future__ import annotations

from dataclasses import dataclass

from archdsl.ir import Model, Shape
from archdsl.train.compat import Problem, fmt
from archdsl.train.config import TrainConfig


@dataclass(frozen=True)
class Trained:
    """The output the loss trains (its position among the model's outputs, its value id
    and shape) and the positions of the outputs weighed by `aux`."""

    index: int
    value: str | None
    shape: Shape
    aux: tuple[int, ...]
    weight: float


def output_names(model: Model) -> list[str]:
    return [model.values[v].name or v for v in model.outputs]


def trained_output(config: TrainConfig, model: Model) -> Trained:
    """The trained output; output_problems must have found nothing."""
    names = output_names(model)
    loss = config.loss
    chosen = loss.output if loss is not None else None
    index = names.index(chosen) if chosen is not None else 0
    weight = loss.aux if loss is not None else 0.0
    aux = tuple(i for i in range(len(names)) if i != index) if weight else ()
    if not model.outputs:  # IR written before values: one output
        return Trained(0, None, model.output, (), 0.0)
    value = model.outputs[index]
    return Trained(index, value, model.values[value].shape, aux, weight)


def output_problems(config: TrainConfig, model: Model) -> list[Problem]:
    """A model with several outputs trains the one its loss names; a choice must exist."""
    names = output_names(model)
    listed = ", ".join(f"`{n}`" for n in names)
    loss = config.loss
    chosen = loss.output if loss is not None else None
    if len(model.inputs) > 1:
        inputs = ", ".join(f"`{model.values[v].name}`" for v in model.inputs)
        return [
            Problem(
                ("data",),
                f"model `{model.name}` takes {len(model.inputs)} inputs ({inputs}); "
                "a dataset feeds one",
                "train a model with one input",
            )
        ]
    if chosen is None and len(names) > 1:
        return [
            Problem(
                ("loss",),
                f"model `{model.name}` has {len(names)} outputs ({listed}); "
                "the loss must name the one it trains",
                f"write `loss cross_entropy(output={names[0]})`, with `aux=0.4` "
                "to train the others too",
            )
        ]
    if chosen is not None and chosen not in names:
        return [
            Problem(
                ("loss", "output"),
                f"model `{model.name}` has no output `{chosen}`; its outputs are {listed}",
                "name one of the values on the model's `output` line",
            )
        ]
    if loss is None or not loss.aux:
        return []
    if len(names) < 2:
        return [
            Problem(
                ("loss", "aux"),
                f"`aux` weighs the model's other outputs, and `{model.name}` has only one",
                "remove `aux`, or give the model an auxiliary output",
            )
        ]
    trained = trained_output(config, model)
    return [
        Problem(
            ("loss", "aux"),
            f"the auxiliary output `{names[i]}` gives {fmt(model.values[model.outputs[i]].shape)}"
            f" but `{names[trained.index]}` gives {fmt(trained.shape)}; `aux` trains each "
            "output on the same targets",
            "give every auxiliary output as many classes as the trained one",
        )
        for i in trained.aux
        if model.values[model.outputs[i]].shape != trained.shape
    ]
