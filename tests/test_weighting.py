"""Tests of fixed loss weights and of the lazy per-term gradient context."""

import math

import pytest
import torch

from pinnsolve.weighting import WEIGHTINGS, Fixed, GradientContext


def losses_of(*names):
    return {name: torch.tensor(float(i + 1)) for i, name in enumerate(names)}


def test_fixed_is_registered():
    assert WEIGHTINGS["fixed"] is Fixed


def test_fixed_defaults_to_one_for_every_term():
    assert Fixed()(losses_of("pde", "initial", "dirichlet"), 0, None) == {"pde": 1.0, "initial": 1.0, "dirichlet": 1.0}


def test_fixed_uses_the_given_weights_and_one_for_the_rest():
    w = Fixed({"initial": 10, "dirichlet": 0.0})(losses_of("pde", "initial", "dirichlet"), 7, None)
    assert w == {"pde": 1.0, "initial": 10.0, "dirichlet": 0.0}
    assert all(type(v) is float for v in w.values())
    assert list(w) == ["pde", "initial", "dirichlet"]


def test_fixed_weights_do_not_change_with_the_step():
    fixed = Fixed({"pde": 0.5})
    losses = losses_of("pde", "initial")
    assert fixed(losses, 0, None) == fixed(losses, 1000, None) == {"pde": 0.5, "initial": 1.0}


def test_fixed_copies_its_input():
    weights = {"pde": 2.0}
    fixed = Fixed(weights)
    weights["pde"] = 3.0
    assert fixed(losses_of("pde"), 0, None) == {"pde": 2.0}


def test_weight_for_unknown_term_is_a_value_error_naming_it():
    fixed = Fixed({"pde": 1.0, "bondary": 5.0})
    with pytest.raises(ValueError, match="'bondary'.*pde, boundary"):
        fixed(losses_of("pde", "boundary"), 0, None)


@pytest.mark.parametrize("value", [-1.0, -1e-12, math.nan, -math.inf])
def test_negative_or_nan_weight_is_a_value_error_naming_the_term(value):
    with pytest.raises(ValueError, match="'initial'"):
        Fixed({"pde": 1.0, "initial": value})


def test_non_number_weight_is_a_value_error_naming_the_term():
    with pytest.raises(ValueError, match="'initial'"):
        Fixed({"initial": "10"})


def make_losses():
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(3, dtype=torch.float64))
    b = torch.nn.Parameter(torch.randn(2, dtype=torch.float64))
    unused = torch.nn.Parameter(torch.randn(4, dtype=torch.float64))
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    shared = torch.tanh(x[:, None] * a).sum(1)  # a graph both losses go through
    losses = {"pde": ((shared * b[0]) ** 2).mean(), "initial": ((shared + b[1] - 1) ** 2).mean()}
    return losses, [a, b, unused], (a, b, x)


def test_gradients_equal_autograd_of_each_loss_separately():
    losses, parameters, (a, b, x) = make_losses()
    ctx = GradientContext(losses, parameters)
    for name, build in [("pde", lambda s: ((s * b[0]) ** 2).mean()), ("initial", lambda s: ((s + b[1] - 1) ** 2).mean())]:
        grads = ctx.gradients(name)
        assert len(grads) == 3
        expected = torch.autograd.grad(build(torch.tanh(x[:, None] * a).sum(1)), [a, b])
        torch.testing.assert_close(grads[0], expected[0], rtol=1e-14, atol=1e-14)
        torch.testing.assert_close(grads[1], expected[1], rtol=1e-14, atol=1e-14)
        assert torch.equal(grads[2], torch.zeros(4, dtype=torch.float64))  # unused parameter


def test_gradient_of_a_quadratic_by_hand():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    ctx = GradientContext({"l": (w ** 2).sum() + 3 * w[0]}, [w])
    torch.testing.assert_close(ctx.gradients("l")[0], torch.tensor([2.0 + 3.0, -4.0, 1.0]))


def test_gradients_keep_the_graph_for_the_total_loss():
    losses, parameters, _ = make_losses()
    ctx = GradientContext(losses, parameters)
    ctx.gradients("pde")
    ctx.gradients("initial")
    total = losses["pde"] + 2 * losses["initial"]
    total.backward()  # would fail if the gradient passes had freed the shared graph
    assert parameters[0].grad is not None
    assert parameters[0].grad.shape == (3,)


def test_gradients_are_cached():
    losses, parameters, _ = make_losses()
    ctx = GradientContext(losses, parameters)
    first = ctx.gradients("pde")
    assert ctx.gradients("pde") is first


def test_gradients_are_computed_only_when_asked_for():
    losses, parameters, _ = make_losses()
    calls = []

    class Counting(dict):
        def __getitem__(self, name):
            calls.append(name)
            return super().__getitem__(name)

    # a term whose gradient cannot be computed: nothing in it requires grad
    broken = Counting(losses, broken=torch.tensor(1.0))
    ctx = GradientContext(broken, parameters)
    assert calls == []
    ctx.gradients("pde")
    ctx.gradients("pde")
    assert calls == ["pde"]
    with pytest.raises(RuntimeError):
        ctx.gradients("broken")


def test_unknown_term_is_a_key_error():
    losses, parameters, _ = make_losses()
    with pytest.raises(KeyError):
        GradientContext(losses, parameters).gradients("boundary")
