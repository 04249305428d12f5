"""One rule for the names a label cannot take, shared by check, build and eject."""

from __future__ import annotations

import pytest
from torch import nn

import archdsl
from archdsl.ir.reserved import MODULE_ATTRIBUTES, reserved_label


def test_the_checked_in_list_is_the_installed_torchs() -> None:
    # A new torch may add attributes: then this fails, and the list is regenerated.
    assert set(MODULE_ATTRIBUTES) == set(dir(nn.Sequential())) | {"block"}


def _spec(label: str) -> str:
    return f"model m {{\n  input [3, 8, 8]\n  {label}: conv(4, 3x3)\n}}\n"


@pytest.mark.parametrize(
    "label",
    ["_modules", "__class__", "_parameters", "T_destination", "_version", "training", "state_dict"],
)
def test_a_label_torch_uses_is_refused_by_check(label: str) -> None:
    with pytest.raises(archdsl.ArchError) as err:
        archdsl.load(_spec(label))
    (diag,) = err.value.diagnostics
    assert diag.message == f"`{label}` cannot be a label: torch modules use that name"
    assert (diag.span.line, diag.span.col) == (3, 3)


def test_every_name_check_accepts_builds() -> None:
    """Every attribute name with one letter changed passes check, and then builds."""
    accepted = 0
    for name in sorted(MODULE_ATTRIBUTES):
        label = name.replace("_", "x", 1) if "_" in name else name + "x"
        if reserved_label(label) or not label.isidentifier():
            continue
        try:
            model = archdsl.load(_spec(label)).model()
        except archdsl.ArchError:
            continue  # refused for another reason (a keyword of the language)
        module = archdsl.build(model)
        assert type(module.get_submodule(label)) is nn.Conv2d
        accepted += 1
    assert accepted > 80


def test_dunder_names_are_reserved() -> None:
    assert reserved_label("__anything__")
    assert not reserved_label("_private")
