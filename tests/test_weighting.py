"""Tests of the loss weightings (fixed, ReLoBRaLo, gradient-norm annealing), their saved state,
their spec section, and the lazy per-term gradient context."""

import json
import math
import warnings

import numpy as np
import pytest
import torch

from pinnsolve.errors import SpecError
from pinnsolve.spec import build_spec
from pinnsolve.weighting import WEIGHTINGS, Fixed, GradientContext, GradNormAnnealing, ReLoBRaLo


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
    with pytest.raises(ValueError, match="weighting.weights: expected one of: pde, boundary; got 'bondary'"):
        fixed.check_terms(["pde", "boundary"])
    fixed.check_terms(["pde", "bondary"])


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


# -- ReLoBRaLo --------------------------------------------------------------------------------
# Reference values come from a few lines of numpy written from the paper's equations:
#   bal_i(t, t') = m softmax_j(L_j(t) / (T L_j(t')))_i
#   λ_i(t) = α [ρ λ_i(t−1) + (1 − ρ) bal_i(t, 0)] + (1 − α) bal_i(t, t−1),   λ_i(0) = 1

SEQUENCE = [[1.0, 10.0, 0.1], [0.8, 9.0, 0.12], [0.5, 8.5, 0.09], [0.45, 5.0, 0.1], [0.3, 4.9, 0.05],
            [0.31, 2.0, 0.04], [0.2, 1.9, 0.05]]
NAMES = ("pde", "initial", "boundary")


def tensors(values):
    return {name: torch.tensor(v, dtype=torch.float64) for name, v in zip(NAMES, values)}


def relobralo_by_hand(sequence, alpha, temperature, rhos):
    """Weights at every step; ``rhos[t - 1]`` is the Bernoulli draw of step t."""
    L = np.array(sequence, dtype=float)
    m = L.shape[1]

    def bal(t, t_ref):
        x = L[t] / (temperature * L[t_ref])
        e = np.exp(x - x.max())
        return m * e / e.sum()

    weights = [np.ones(m)]
    for t in range(1, len(L)):
        rho = rhos[t - 1]
        weights.append(alpha * (rho * weights[-1] + (1 - rho) * bal(t, 0)) + (1 - alpha) * bal(t, t - 1))
    return weights


def run(strategy, sequence, start=0):
    return [strategy(tensors(values), start + t, None) for t, values in enumerate(sequence)]


def assert_weights(got, expected):
    assert len(got) == len(expected)
    for w, e in zip(got, expected):
        assert list(w) == list(NAMES)
        assert all(type(v) is float for v in w.values())
        np.testing.assert_allclose([w[n] for n in NAMES], e, rtol=1e-12, atol=0)


def test_relobralo_is_registered():
    assert WEIGHTINGS["relobralo"] is ReLoBRaLo
    assert WEIGHTINGS["gradnorm"] is GradNormAnnealing


@pytest.mark.parametrize("rho", [1.0, 0.0])
def test_relobralo_deterministic_rho_matches_the_formula(rho):
    got = run(ReLoBRaLo(alpha=0.7, temperature=0.5, rho=rho), SEQUENCE)
    expected = relobralo_by_hand(SEQUENCE, 0.7, 0.5, [rho] * len(SEQUENCE))
    assert_weights(got, expected)
    # rho = 1 and rho = 0 must really differ, or the test could not tell them apart
    other = relobralo_by_hand(SEQUENCE, 0.7, 0.5, [1 - rho] * len(SEQUENCE))
    assert not np.allclose(expected[-1], other[-1], rtol=1e-6)


def test_relobralo_seeded_bernoulli_draws_match_a_generator_with_the_same_seed():
    rng = np.random.default_rng(123)
    draws = [float(rng.random() < 0.5) for _ in SEQUENCE[1:]]
    assert 0.0 in draws and 1.0 in draws  # both branches are exercised
    got = run(ReLoBRaLo(alpha=0.6, temperature=0.2, rho=0.5, seed=123), SEQUENCE)
    assert_weights(got, relobralo_by_hand(SEQUENCE, 0.6, 0.2, draws))
    # another seed gives other draws, hence other weights
    assert run(ReLoBRaLo(alpha=0.6, temperature=0.2, rho=0.5, seed=124), SEQUENCE) != got


def test_relobralo_defaults():
    strategy = ReLoBRaLo()
    assert (strategy.alpha, strategy.temperature, strategy.rho) == (0.999, 0.1, 0.999)
    rng = np.random.default_rng(0)
    draws = [float(rng.random() < 0.999) for _ in SEQUENCE[1:]]
    assert_weights(run(strategy, SEQUENCE), relobralo_by_hand(SEQUENCE, 0.999, 0.1, draws))


def test_relobralo_first_step_weighs_one_whatever_the_losses():
    assert ReLoBRaLo()(tensors([1e-8, 3.0, 1e8]), 0, None) == {"pde": 1.0, "initial": 1.0, "boundary": 1.0}


def test_relobralo_weights_sum_to_m_when_alpha_is_zero():
    for w in run(ReLoBRaLo(alpha=0.0, rho=0.5), SEQUENCE)[1:]:
        assert sum(w.values()) == pytest.approx(3.0, rel=1e-14)
        assert len(set(w.values())) == 3  # not trivially all equal


def test_relobralo_huge_loss_ratios_give_finite_weights():
    sequence = [[1e-300, 1.0, 1e300], [1.0, 1.0, 1.0], [1.0, 1e-300, 1e300]]  # ratios up to 1e300 / T
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.array([1.0, 1e300]) / (0.1 * np.array([1e-300, 1.0])))).any()  # naive softmax overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(ReLoBRaLo(alpha=0.5, temperature=0.1, rho=0.0), sequence)
    assert all(np.isfinite(list(w.values())).all() for w in got)
    assert_weights(got, relobralo_by_hand(sequence, 0.5, 0.1, [0.0, 0.0]))


def test_relobralo_zero_past_loss_is_floored_not_divided_by():
    # "pde" is zero at t = 0 and rises (50 / 2.2e-308 overflows); "boundary" stays at zero at t = 1, 2
    sequence = [[0.0, 1.0, 2.0], [50.0, 1.0, 0.0], [50.0, 0.9, 0.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(ReLoBRaLo(alpha=0.5, temperature=0.1, rho=0.0), sequence)
    tiny, huge = np.finfo(float).tiny, np.finfo(float).max
    L = np.array(sequence)

    def bal(t, t_ref):  # the documented guard: floor T·L(t') at the smallest normal float, clip the ratio
        with np.errstate(over="ignore"):
            x = np.minimum(L[t] / np.maximum(0.1 * L[t_ref], tiny), huge)
        e = np.exp(x - x.max())
        return 3 * e / e.sum()

    step1 = 0.5 * bal(1, 0) + 0.5 * bal(1, 0)
    step2 = 0.5 * bal(2, 0) + 0.5 * bal(2, 1)
    np.testing.assert_allclose([got[1][n] for n in NAMES], step1, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose([got[2][n] for n in NAMES], step2, rtol=1e-12, atol=1e-300)
    assert got[1]["pde"] == 3.0  # rose from zero: the whole balance
    assert all(np.isfinite(list(w.values())).all() for w in got)


def test_relobralo_rejects_changed_terms():
    strategy = ReLoBRaLo()
    strategy(tensors(SEQUENCE[0]), 0, None)
    with pytest.raises(ValueError, match="terms changed"):
        strategy({"pde": torch.tensor(1.0)}, 1, None)


@pytest.mark.parametrize("options", [{"alpha": 1.5}, {"alpha": -0.1}, {"rho": 2}, {"temperature": 0},
                                     {"temperature": -1.0}, {"seed": -1}, {"seed": 1.5}, {"alpha": True}])
def test_relobralo_rejects_bad_options(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        ReLoBRaLo(**options)


# -- gradient-norm annealing ----------------------------------------------------------------

class CountingContext(GradientContext):
    """A GradientContext that records every gradient request."""

    calls: list = []

    def gradients(self, name):
        CountingContext.calls.append(name)
        return super().gradients(name)


def tiny_problem():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)).double()
    params = list(net.parameters())
    x = torch.rand(16, 2, dtype=torch.float64)

    def losses(step):
        shift = 0.1 * step  # the data change with the step, so the gradients do too
        u = net(x + shift).squeeze(1)
        edge = net(torch.stack([torch.zeros(4, dtype=torch.float64), torch.linspace(0, 1, 4, dtype=torch.float64)], 1)).squeeze(1)
        return {"pde": ((u - torch.sin(3 * x[:, 0])) ** 2).mean(),
                "initial": 50 * ((edge - 1) ** 2).mean(),
                "boundary": 1e-3 * (net(x[:3] * 2).squeeze(1) ** 2).mean()}

    return net, params, losses


def flat_gradient(loss, params):
    return np.concatenate([g.detach().numpy().ravel() for g in torch.autograd.grad(loss, params, retain_graph=True)])


def gradnorm_by_hand(losses, params, previous, alpha, mode, residuals=("pde",)):
    """One update, from the weights ``previous``: the denominators are the WEIGHTED terms' gradients."""
    g = {name: flat_gradient(loss, params) for name, loss in losses.items()}
    if mode == "max":
        top = max(np.abs(g[r]).max() for r in residuals)
        estimate = {n: top / (previous[n] * np.abs(g[n]).mean()) for n in g if n not in residuals}
    else:
        norms = {n: previous[n] * np.linalg.norm(v) for n, v in g.items()}
        estimate = {n: sum(norms.values()) / norms[n] for n in g}
    return {n: (1 - alpha) * previous[n] + alpha * estimate[n] if n in estimate else previous[n] for n in g}


@pytest.mark.parametrize("mode", ["max", "l2"])
def test_gradnorm_matches_the_formula_and_holds_between_updates(mode):
    net, params, losses_at = tiny_problem()
    strategy = GradNormAnnealing(mode=mode)  # alpha 0.1, every 10
    optimizer = torch.optim.SGD(params, lr=1e-2)
    expected = {n: 1.0 for n in NAMES}
    updates = 0
    for step in range(25):
        losses = losses_at(step)
        CountingContext.calls = []
        got = strategy(losses, step, CountingContext(losses, params))
        if step % 10 == 0:
            expected = gradnorm_by_hand(losses, params, expected, 0.1, mode)
            assert CountingContext.calls  # update steps do ask for gradients
            updates += 1
        else:
            assert CountingContext.calls == []  # no gradient is computed between updates
        assert list(got) == list(NAMES)
        np.testing.assert_allclose([got[n] for n in NAMES], [expected[n] for n in NAMES], rtol=1e-12, atol=0)
        optimizer.zero_grad()
        sum(got[n] * loss for n, loss in losses.items()).backward()  # the graph survives the gradient requests
        optimizer.step()
    assert updates == 3
    assert got["initial"] != 1.0 and got["boundary"] != 1.0
    assert (got["pde"] == 1.0) == (mode == "max")


def test_gradnorm_default_alpha_keeps_0_9_on_the_old_weight():
    net, params, losses_at = tiny_problem()
    losses = losses_at(0)
    estimate = gradnorm_by_hand(losses, params, {n: 1.0 for n in NAMES}, 1.0, "max")  # α = 1: λ = λ̂
    strategy = GradNormAnnealing()
    assert strategy.alpha == 0.1
    got = strategy(losses, 0, GradientContext(losses, params))
    for n in ("initial", "boundary"):
        assert got[n] == pytest.approx(0.9 * 1.0 + 0.1 * estimate[n], rel=1e-12)
        assert got[n] != pytest.approx(0.1 * 1.0 + 0.9 * estimate[n], rel=1e-3)


@pytest.mark.parametrize("mode", ["max", "l2"])
def test_gradnorm_divides_by_the_gradient_of_the_weighted_term(mode):
    net, params, losses_at = tiny_problem()
    losses = losses_at(0)
    g = {n: flat_gradient(losses[n], params) for n in NAMES}
    previous = {"pde": 1.0, "initial": 4.0, "boundary": 0.25} if mode == "max" else {"pde": 3.0, "initial": 0.1, "boundary": 50.0}
    strategy = GradNormAnnealing(alpha=0.3, every=1, mode=mode)
    strategy.load_state_dict({"weights": previous})
    got = strategy(losses, 0, GradientContext(losses, params))
    if mode == "max":
        top = np.abs(g["pde"]).max()
        weighted = {n: top / (previous[n] * np.abs(g[n]).mean()) for n in ("initial", "boundary")}
        unweighted = {n: top / np.abs(g[n]).mean() for n in ("initial", "boundary")}
        assert got["pde"] == 1.0
    else:
        norm = {n: np.linalg.norm(g[n]) for n in NAMES}
        total = sum(previous[n] * norm[n] for n in NAMES)
        weighted = {n: total / (previous[n] * norm[n]) for n in NAMES}
        unweighted = {n: sum(norm.values()) / norm[n] for n in NAMES}
    for n in weighted:
        assert got[n] == pytest.approx(0.7 * previous[n] + 0.3 * weighted[n], rel=1e-12)
        assert got[n] != pytest.approx(0.7 * previous[n] + 0.3 * unweighted[n], rel=1e-3)


class ConstantGradients:
    """A gradient context whose per-term gradients never change (as if the network were frozen)."""

    def __init__(self, gradients):
        self._gradients = {n: [torch.tensor(v, dtype=torch.float64)] for n, v in gradients.items()}

    def gradients(self, name):
        return self._gradients[name]


CONSTANT = {"pde": [0.5, -3.0, 2.0, 0.1], "initial": [1e-3, -2e-3, 0.0, 5e-4], "boundary": [0.2, 0.1, -0.4, 0.3]}


def test_gradnorm_max_settles_at_the_square_root_fixed_point():
    """Negative feedback: λ̂ = c / λ with c = max|g_pde| / mean|g_i|, so λ → sqrt(c), not c."""
    ctx = ConstantGradients(CONSTANT)
    losses = {n: torch.tensor(1.0) for n in CONSTANT}
    c = {n: np.abs(CONSTANT["pde"]).max() / np.abs(CONSTANT[n]).mean() for n in ("initial", "boundary")}
    assert c["initial"] > 2000 and c["boundary"] > 10  # far from sqrt(c): the test tells them apart
    for start in (1.0, 1e7):  # also from a weight that has run away: it comes back down
        strategy = GradNormAnnealing(every=1)  # default alpha 0.1
        strategy.load_state_dict({"weights": {"pde": 1.0, "initial": start, "boundary": start}})
        for step in range(600):
            got = strategy(losses, step, ctx)
        assert got["pde"] == 1.0
        for n in ("initial", "boundary"):
            assert got[n] == pytest.approx(np.sqrt(c[n]), rel=1e-9, abs=0)


def test_gradnorm_l2_settles_at_its_fixed_point():
    """In mode l2 the fixed point of λ̂_i = Σ_j λ_j n_j / (λ_i n_i) is λ_i = Σ_j sqrt(n_j) / sqrt(n_i)."""
    ctx = ConstantGradients(CONSTANT)
    losses = {n: torch.tensor(1.0) for n in CONSTANT}
    strategy = GradNormAnnealing(every=1, mode="l2")
    for step in range(600):
        got = strategy(losses, step, ctx)
    root = {n: np.sqrt(np.linalg.norm(CONSTANT[n])) for n in CONSTANT}
    for n in CONSTANT:
        assert got[n] == pytest.approx(sum(root.values()) / root[n], rel=1e-9, abs=0)


def test_gradnorm_every_one_updates_each_step_and_several_residuals_share_the_max():
    net, params, losses_at = tiny_problem()
    strategy = GradNormAnnealing(alpha=0.5, every=1, residual_terms=["pde", "initial"])
    expected = {n: 1.0 for n in NAMES}
    for step in range(4):
        losses = losses_at(step)
        got = strategy(losses, step, GradientContext(losses, params))
        expected = gradnorm_by_hand(losses, params, expected, 0.5, "max", residuals=("pde", "initial"))
        np.testing.assert_allclose([got[n] for n in NAMES], [expected[n] for n in NAMES], rtol=1e-12, atol=0)
        assert got["pde"] == got["initial"] == 1.0


@pytest.mark.parametrize("mode", ["max", "l2"])
def test_gradnorm_keeps_the_previous_weight_of_a_term_with_zero_gradient(mode):
    net, params, losses_at = tiny_problem()
    strategy = GradNormAnnealing(alpha=0.5, every=1, mode=mode)
    for step in range(3):
        losses = losses_at(step)
        # a term independent of the parameters (still in the graph): gradient exactly zero
        losses["wall"] = 0.0 * sum(p.sum() for p in params) + 2.0
        got = strategy(losses, step, GradientContext(losses, params))
        assert got["wall"] == 1.0
        assert all(np.isfinite(list(got.values())))
    assert got["initial"] != 1.0


def test_gradnorm_with_zero_residual_gradient_keeps_all_weights():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    losses = {"pde": 0.0 * w.sum() + 1.0, "initial": (w ** 2).sum()}
    assert GradNormAnnealing()(losses, 0, GradientContext(losses, [w])) == {"pde": 1.0, "initial": 1.0}


def test_gradnorm_needs_its_residual_terms_among_the_losses():
    net, params, losses_at = tiny_problem()
    losses = losses_at(0)
    with pytest.raises(ValueError, match="'heat'"):
        GradNormAnnealing(residual_terms=["heat"])(losses, 0, GradientContext(losses, params))


@pytest.mark.parametrize("options", [{"alpha": 1.01}, {"every": 0}, {"every": 2.0}, {"mode": "l1"},
                                     {"residual_terms": []}])
def test_gradnorm_rejects_bad_options(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        GradNormAnnealing(**options)


# -- saving and resuming ----------------------------------------------------------------------

def resumed(strategy_class, options, inputs, k):
    """Weights from step k on, after k steps, a save through JSON, and a load into a new object."""
    first = strategy_class(**options)
    for step, (losses, ctx) in enumerate(inputs[:k]):
        first(losses, step, ctx)
    state = json.loads(json.dumps(first.state_dict()))  # plain data only
    second = strategy_class(**options)
    second.load_state_dict(state)
    return [second(losses, k + step, ctx) for step, (losses, ctx) in enumerate(inputs[k:])]


def test_relobralo_resumes_bit_for_bit():
    sequence = SEQUENCE * 3
    inputs = [(tensors(v), None) for v in sequence]
    options = {"alpha": 0.6, "temperature": 0.2, "rho": 0.5, "seed": 7}
    uninterrupted = run(ReLoBRaLo(**options), sequence)
    for k in (1, 4, 10):
        assert resumed(ReLoBRaLo, options, inputs, k) == uninterrupted[k:]
    # a fresh object without the saved state would differ (it has a different L(0) and RNG position)
    assert run(ReLoBRaLo(**options), sequence[10:]) != uninterrupted[10:]


def test_relobralo_state_dict_is_a_snapshot():
    strategy = ReLoBRaLo(rho=0.5)
    run(strategy, SEQUENCE[:3])
    state = strategy.state_dict()
    saved = json.dumps(state)
    run(strategy, SEQUENCE[3:])
    assert json.dumps(state) == saved


@pytest.mark.parametrize("mode", ["max", "l2"])
def test_gradnorm_resumes_bit_for_bit(mode):
    net, params, losses_at = tiny_problem()
    inputs = []
    for step in range(12):
        losses = losses_at(step)
        inputs.append((losses, GradientContext(losses, params)))
    options = {"alpha": 0.7, "every": 3, "mode": mode}
    strategy = GradNormAnnealing(**options)
    uninterrupted = [strategy(losses, step, ctx) for step, (losses, ctx) in enumerate(inputs)]
    for k in (2, 3, 7):
        assert resumed(GradNormAnnealing, options, inputs, k) == uninterrupted[k:]
    fresh = GradNormAnnealing(**options)
    assert [fresh(losses, 7 + s, ctx) for s, (losses, ctx) in enumerate(inputs[7:])] != uninterrupted[7:]


def test_fixed_state_round_trip():
    fixed = Fixed({"pde": 2.0})
    other = Fixed({"pde": 2.0})
    other.load_state_dict(json.loads(json.dumps(fixed.state_dict())))
    assert other(losses_of("pde", "initial"), 5, None) == fixed(losses_of("pde", "initial"), 5, None)
    with pytest.raises(ValueError):
        other.load_state_dict({"weights": {}})


# -- the spec's weighting section -------------------------------------------------------------

def spec_with(weighting, pde="u_t - u_xx"):
    return build_spec({"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": pde,
                       "conditions": [{"type": "initial", "value": "sin(pi*x)"}], "weighting": weighting})


def test_spec_builds_each_strategy():
    assert isinstance(spec_with({}).weighting, Fixed)
    assert spec_with({"type": "fixed", "weights": {"initial": 10}}).weighting.weights == {"initial": 10.0}
    relobralo = spec_with({"type": "relobralo", "alpha": 0.9, "temperature": 1, "rho": 1, "seed": 5}).weighting
    assert isinstance(relobralo, ReLoBRaLo)
    assert (relobralo.alpha, relobralo.temperature, relobralo.rho) == (0.9, 1.0, 1.0)
    assert (ReLoBRaLo(seed=5).state_dict()["rng"] == relobralo.state_dict()["rng"]
            != ReLoBRaLo(seed=0).state_dict()["rng"])
    defaults = spec_with({"type": "relobralo"}).weighting
    assert (defaults.alpha, defaults.temperature, defaults.rho) == (0.999, 0.1, 0.999)
    gradnorm = spec_with({"type": "gradnorm", "alpha": 0.5, "every": 3, "mode": "l2"}).weighting
    assert isinstance(gradnorm, GradNormAnnealing)
    assert (gradnorm.alpha, gradnorm.every, gradnorm.mode, gradnorm.residual_terms) == (0.5, 3, "l2", ("pde",))
    named = spec_with({"type": "gradnorm"}, pde={"heat": "u_t - u_xx", "extra": "u_t"}).weighting
    assert (named.alpha, named.every, named.mode, named.residual_terms) == (0.1, 10, "max", ("heat", "extra"))


@pytest.mark.parametrize("weighting, path", [
    ({"type": "adaptive"}, "weighting.type"),
    ({"type": "relobralo", "alpha": 1.5}, "weighting.alpha"),
    ({"type": "relobralo", "alpha": -0.01}, "weighting.alpha"),
    ({"type": "relobralo", "alpha": "0.9"}, "weighting.alpha"),
    ({"type": "relobralo", "rho": 1.01}, "weighting.rho"),
    ({"type": "relobralo", "temperature": 0}, "weighting.temperature"),
    ({"type": "relobralo", "temperature": -0.1}, "weighting.temperature"),
    ({"type": "relobralo", "seed": -1}, "weighting.seed"),
    ({"type": "relobralo", "seed": 1.0}, "weighting.seed"),
    ({"type": "relobralo", "every": 10}, "weighting.every"),
    ({"type": "relobralo", "weights": {"pde": 1}}, "weighting.weights"),
    ({"type": "gradnorm", "alpha": True}, "weighting.alpha"),
    ({"type": "gradnorm", "every": 0}, "weighting.every"),
    ({"type": "gradnorm", "every": 2.5}, "weighting.every"),
    ({"type": "gradnorm", "mode": "l1"}, "weighting.mode"),
    ({"type": "gradnorm", "temperature": 0.1}, "weighting.temperature"),
    ({"type": "gradnorm", "seed": 0}, "weighting.seed"),
    ({"type": "fixed", "alpha": 0.5}, "weighting.alpha"),
    ({"alpha": 0.5}, "weighting.alpha"),  # fixed by default
    ({"type": "gradnorm", "momentum": 0.9}, "weighting.momentum"),
])
def test_spec_rejects_bad_weighting_naming_the_field(weighting, path):
    with pytest.raises(SpecError) as caught:
        spec_with(weighting)
    assert caught.value.path == path


def test_spec_option_of_another_type_says_which_type():
    with pytest.raises(SpecError, match="only for type relobralo"):
        spec_with({"type": "gradnorm", "temperature": 0.1})
    with pytest.raises(SpecError, match="only for types relobralo, gradnorm"):
        spec_with({"type": "fixed", "alpha": 0.5})


# -- gradient-norm annealing, mode "mean" (anchored on the data) ------------------------------------

def mean_mode_losses():
    """θ = (a, b) = (0, 1): L_data = (a − 1)², ∇ = (−2, 0); L_probe = (a + b)², ∇ = (2, 2);
    L_pde = (2a + 3b)², ∇ = (12, 18); L_bc = b², ∇ = (0, 2)."""
    theta = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    a, b = theta
    losses = {"pde": (2 * a + 3 * b) ** 2, "data": (a - 1) ** 2, "probe": (a + b) ** 2, "bc": b**2}
    return losses, GradientContext(losses, [theta])


def test_mean_mode_weights_the_pde_by_the_data_gradient_over_the_pde_gradient():
    losses, ctx = mean_mode_losses()
    weighting = GradNormAnnealing(mode="mean", anchors=["data"])
    assert weighting.alpha == 0.9  # as the rule was specified
    weights = weighting(losses, 0, ctx)
    # λ̂ = mean|(−2, 0)| / mean|(12, 18)| = 1 / 15; λ = 0.1·1 + 0.9/15 = 0.16
    assert weights == {"pde": pytest.approx(0.16, rel=1e-15), "data": 1.0, "probe": 1.0, "bc": 1.0}
    weights = weighting(losses, 10, ctx)  # the estimate does not depend on λ: 0.1·0.16 + 0.9/15
    assert weights["pde"] == pytest.approx(0.016 + 0.06, rel=1e-15)


def test_mean_mode_sums_the_anchor_gradients_before_taking_their_mean():
    losses, ctx = mean_mode_losses()
    # ∇(L_data + L_probe) = (0, 2): mean 1 (the sum of the means would be 3)
    weights = GradNormAnnealing(mode="mean", anchors=["data", "probe"], alpha=1.0)(losses, 0, ctx)
    assert weights["pde"] == pytest.approx(1 / 15, rel=1e-15)
    # by default every term that is not a residual is an anchor: ∇ = (0, 2) + (0, 2) = (0, 4): mean 2
    weights = GradNormAnnealing(mode="mean", alpha=1.0)(losses, 0, ctx)
    assert weights["pde"] == pytest.approx(2 / 15, rel=1e-15) and weights["data"] == weights["bc"] == 1.0


def test_mean_mode_gives_all_residual_terms_one_weight_from_their_summed_gradient():
    theta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    losses = {"pde1": theta[0] ** 2, "pde2": theta[1] ** 2, "data": 3 * theta.sum()}
    weighting = GradNormAnnealing(mode="mean", alpha=1.0, residual_terms=["pde1", "pde2"])
    # ∇(L1 + L2) = (2, 4): mean 3; ∇L_data = (3, 3): mean 3 -> λ̂ = 1
    assert weighting(losses, 0, GradientContext(losses, [theta])) == {"pde1": 1.0, "pde2": 1.0, "data": 1.0}


def test_anchors_are_checked():
    with pytest.raises(ValueError, match="only mode 'mean' anchors on terms"):
        GradNormAnnealing(anchors=["data"])
    with pytest.raises(ValueError, match="none of them a residual term"):
        GradNormAnnealing(mode="mean", anchors=["pde"])
    with pytest.raises(ValueError, match="anchor 'sensors' is not a loss term; terms are pde, data"):
        GradNormAnnealing(mode="mean", anchors=["sensors"]).check_terms(["pde", "data"])


def test_mean_mode_from_yaml_anchors_on_the_named_terms():
    document = {"variables": {"x": [0, 1]}, "fields": ["u"], "pde": "u_xx", "reference": {"type": "expression", "u": "x"},
                "conditions": [{"type": "data", "from": "reference", "count": 4},
                               {"type": "dirichlet", "on": "x=0", "value": 0}],
                "weighting": {"type": "gradnorm", "mode": "mean", "anchors": "data"}}
    weighting = build_spec(document).weighting
    assert weighting.mode == "mean" and weighting.anchors == ("data",) and weighting.alpha == 0.9
