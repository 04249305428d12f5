"""In-place activations never overwrite a tensor another reader shares: not through
`identity`, `dropout` at inference or a `flatten` view, in branches, residual bodies or
named values, in the built module and the ejected source (of chains) alike."""

from __future__ import annotations

import pytest
import torch

import archdsl
from archdsl.export.eject import eject
from archdsl.ir.inplace import out_of_place
from tests.test_eject import _model_class

X = [[-1.0, 2.0, -3.0, 4.0]]


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("add { | identity | relu }", [[-1.0, 4.0, -3.0, 8.0]]),
        ("mul { | identity | relu6 }", [[-0.0, 4.0, -0.0, 16.0]]),
        ("mul { | identity | hardsigmoid }", [[-1 / 3, 2 * 5 / 6, -0.0, 4.0]]),
        ("add { | identity | stochastic_depth(0.5) -> relu }", [[-1.0, 4.0, -3.0, 8.0]]),
        ("residual { relu -> scale(2.0) }", [[-1.0, 6.0, -3.0, 12.0]]),
        ("add { | identity | dropout(0.5) -> relu }", [[-1.0, 4.0, -3.0, 8.0]]),
        ("add { | identity | flatten -> relu }", [[-1.0, 4.0, -3.0, 8.0]]),
        ("add { | dropout(0.2) | leaky_relu(0.5) }", [[-1.5, 4.0, -4.5, 8.0]]),
        ("a = identity\n  r = relu\n  add(a, r)", [[-1.0, 4.0, -3.0, 8.0]]),
        ("a, b = chunk(2)\n  r = b -> relu\n  concat(a, b, r)", [[-1.0, 2.0, -3.0, 4.0, 0.0, 4.0]]),
    ],
)
def test_a_shared_tensor_is_never_overwritten(body: str, want: list[list[float]]) -> None:
    spec = f"model m {{\n  input [4]\n  {body}\n}}\n"
    program = archdsl.load(spec)
    model = program.model()
    ejected = _model_class(eject(model, program.sources))().eval()
    modules = [archdsl.build(model).eval(), ejected]
    for module in modules:
        x = torch.tensor(X)
        torch.testing.assert_close(module(x), torch.tensor(want))
        assert x.tolist() == X  # the caller's input is a reader too


def test_in_place_where_nothing_else_reads() -> None:
    spec = "model m {\n  input [4]\n  linear(4) -> relu -> dropout(0.1) -> relu -> linear(2)\n}\n"
    model = archdsl.load(spec).model()
    assert out_of_place(model) == frozenset()
    assert [m.inplace for m in archdsl.build(model).modules() if hasattr(m, "inplace")] == [
        True,
        False,  # dropout's own flag: torch's default
        True,
    ]
    # The same relu right after the input would overwrite the caller's tensor.
    first = archdsl.load("model m {\n  input [4]\n  relu -> linear(2)\n}\n").model()
    assert out_of_place(first) == frozenset({"0"})


def test_a_chunk_output_is_never_overwritten_even_when_read_once() -> None:
    """autograd refuses in-place changes to the views a multi-output op returns."""
    steps = "linear(4)\n  a, b = chunk(2)\n  r = b -> relu\n  concat(a, r)"
    spec = f"model m {{\n  input [4]\n  {steps}\n}}\n"
    model = archdsl.load(spec).model()
    assert out_of_place(model) == frozenset({"2"})  # the relu, third step of the model
    module = archdsl.build(model).train()
    x = torch.randn(3, 4, requires_grad=True)
    module(x).sum().backward()  # raised "a view ... is being modified inplace" before
    assert x.grad is not None and x.grad.shape == (3, 4)
