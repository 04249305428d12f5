"""A built module compiles as one graph and computes what eager mode computes."""

from __future__ import annotations

import copy

import torch

import archdsl
from tests.helpers import SPECS


def test_resnet18_compiles_fullgraph_forward_and_backward() -> None:
    torch.manual_seed(0)
    model = archdsl.build(str(SPECS / "resnet18.arch"))
    initial = copy.deepcopy(model.state_dict())
    compiled = torch.compile(model, fullgraph=True)  # raises on any graph break
    x = torch.randn(2, 3, 64, 64)
    out = compiled(x)
    assert out.shape == (2, 1000)
    out.square().mean().backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert all(g is not None for g in grads.values())
    # The same step in eager mode, from the same weights and running statistics.
    eager = archdsl.build(str(SPECS / "resnet18.arch"))
    eager.load_state_dict(initial)
    eager_out = eager(x)
    torch.testing.assert_close(out, eager_out, rtol=1e-3, atol=1e-4)
    eager_out.square().mean().backward()
    for name, p in eager.named_parameters():
        torch.testing.assert_close(grads[name], p.grad, rtol=1e-3, atol=1e-3)
