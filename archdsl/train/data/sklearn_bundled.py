"""scikit-learn's bundled datasets: files shipped inside the package, no download.

- `digits`: 1,797 grey 8x8 handwritten digits, values 0 to 16, 10 classes.
- `breast_cancer`: 569 tumours, 30 measurements each, malignant or benign.
- `iris`: 150 flowers, 4 measurements each, 3 species.
- `diabetes`: 442 patients, 10 measurements each, a disease progression score
  a year later (regression).
"""

from __future__ import annotations

from archdsl.train.config import SplitData
from archdsl.train.data.base import LoadedData
from archdsl.train.data.held_out import sklearn, split

# Served as images [N, 1, H, W], and the value that scales them to [0, 1].
_IMAGES = {"digits": 16.0}


def load(
    config: SplitData, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    """Load `sklearn.datasets.load_<kind>()` and hold out `val` of it."""
    bunch = getattr(sklearn(config.kind, "datasets"), f"load_{config.kind}")()
    if config.kind in _IMAGES:
        return split(
            config.kind, bunch.images[:, None], bunch.target, config.val, _IMAGES[config.kind]
        )
    return split(config.kind, bunch.data, bunch.target, config.val, 1.0, task)
