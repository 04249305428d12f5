"""`init from("W")`: weights read from a file into the module before training, whole."""

from __future__ import annotations

from torch import nn

from archdsl.train.errors import TrainError
from archdsl.weights.place import fit, place
from archdsl.weights.source import read_source


def load_init(module: nn.Module, path: str) -> None:
    """Put the weights of `path` into `module`; TrainError listing every tensor that
    does not fit (a partial file is made on purpose, by `archdsl weights import --partial`)."""
    source = read_source(path)
    own = module.state_dict()
    alignment = fit(own, source)
    if not alignment.fits:
        lines = "\n".join(f"  {line}" for line in alignment.problems())
        raise TrainError(f"the weights in {path} do not fit the model (`init from`):\n{lines}")
    module.load_state_dict(place(own, source, alignment))
