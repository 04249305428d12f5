"""pyproject.toml declares the versions the suite runs on, and no others."""

from __future__ import annotations

import platform
import tomllib
from importlib.metadata import version

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.helpers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _declared(package: str) -> SpecifierSet:
    for requirements in PROJECT["optional-dependencies"].values():
        for text in requirements:
            requirement = Requirement(text)
            if requirement.name == package:
                return requirement.specifier
    raise AssertionError(f"{package} is not declared")


def test_the_tested_torch_is_the_declared_floor() -> None:
    """The floor is the release these tests pass on: raise it when testing a newer one."""
    torch = _declared("torch")
    installed = version("torch").split("+")[0]
    assert installed in torch
    floor = next(s.version for s in torch if s.operator == ">=")
    assert floor.split(".")[:2] == installed.split(".")[:2]


def test_the_tested_python_is_the_declared_one() -> None:
    assert platform.python_version() in SpecifierSet(PROJECT["requires-python"])
