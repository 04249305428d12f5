"""The `slow` mark: `pytest -m "not slow"` is the quick subset a change is first tried on.

The slow tests are listed here, in one place, rather than marked in each file:
training runs (and the tests that train a model first), ONNX exports,
torch.compile, every zoo network ejected or built, and the property tests that
build many random networks. `.ci/run` runs them all. On two idle cores the
quick subset took 2 min 40 s (27 November 2026).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Whole modules, and single tests (by function name) in other modules.
SLOW_MODULES = frozenset(
    {
        "test_train_learning",
        "test_train_resume",
        "test_train_distributed",
        "test_train_no_sync",
        "test_train_cifar10",
        "test_train_tasks",
        "test_train_eval",
        "test_train_files",
        "test_train_shipping",
        "test_train_api",
        "test_train_recipe",
        "test_train_runctl",
        "test_finetune",
        "test_predict_outputs",
        "test_export_onnx",
        "test_compile",
        "test_backend_property",
        "test_eject_property",
        "test_eject_graph_property",
        "test_fuzz",
    }
)
SLOW_TESTS = frozenset(
    {
        "test_zoo_ejects_to_the_same_module",
        "test_ejected_zoo_passes_ruff",
        "test_ejected_class_agrees_with_build_for_fresh_arguments",
        "test_module_matches_ir",
        "test_verify_passes_on_every_spec",
        "test_check_verify_cli",
        "test_check_verify_passes",
        "test_cli_writes_source_that_runs_without_archdsl",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        name = getattr(item, "originalname", item.name)
        if module in SLOW_MODULES or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


# CI draws the same examples on every run, so whether a change lands never
# depends on a new random draw; runs elsewhere keep exploring.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
