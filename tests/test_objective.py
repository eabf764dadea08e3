"""The objective: loss terms on a network, the list of trained tensors, the training step, unknown
parameters and custom terms, and leaving out terms an output transform enforces exactly."""

import math
import threading

import numpy as np
import pytest
import torch

from pinnsolve import Dirichlet, Domain, Initial, Neumann, Periodic, PolishConfig, Problem, TrainingConfig, solve
from pinnsolve.checkpoint import load_checkpoint
from pinnsolve.errors import SpecError
from pinnsolve.objective import Objective, trainable
from pinnsolve.problem import Unknown
from pinnsolve.results import load_result
from pinnsolve.sampling import Sampler
from pinnsolve.solve import build_model
from pinnsolve.terms import GivenPoints, Interior, PointSet, Term
from pinnsolve.train import Trainer, TrainingInterrupted
from pinnsolve.weighting import Fixed


def growth(rate: torch.Tensor | float = 0.7, observed: float = 0.7) -> Problem:
    """u' = a u on [0, 1], u(0) = 1, with u observed at 9 points of the exact u = exp(0.7 x): the data
    pin the growth rate a (an unknown when ``rate`` is a tensor that requires grad)."""
    x = np.linspace(0.1, 0.9, 9)[:, None]
    data = Term("data", GivenPoints(x, u=np.exp(observed * x)), lambda f, p: f.u - f.point_data["u"][:, 0])
    return Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u_x - p.a * f.u,
                   [Dirichlet("u", on="x=0", value=1.0)], params={"a": rate}, terms=[data],
                   reference=lambda c: {"u": np.exp(observed * c["x"])})


FAST = TrainingConfig(iterations=300, points={"pde": 64}, log_every=50, dtype="float64",
                      polish=PolishConfig(iterations=300, dtype="float64"))


def fit(problem, training=FAST, **options):
    return solve(problem, {"width": 16, "depth": 2}, {"type": "adam", "lr": 1e-2}, training=training,
                 axes={"x": np.linspace(0, 1, 51)}, **options)


# -- the list of trained tensors ---------------------------------------------------------------

def test_trainable_lists_the_network_then_the_unknown_parameters():
    rate = torch.tensor(0.2, requires_grad=True)
    problem = growth(rate)
    problem.params._values["fixed"] = torch.tensor(3.0)  # a tensor that does not require grad is a constant
    network = build_model(problem, {"width": 4, "depth": 1})
    tensors = trainable(network, problem.params)
    assert tensors[:-1] == list(network.parameters()) and tensors[-1] is rate


def test_an_unknown_parameter_is_identified_from_data():
    rate = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    result = fit(growth(rate))
    assert abs(rate.item() - 0.7) < 1e-3
    assert result.params == {"a": pytest.approx(rate.item(), abs=0)}
    history = result.history["param/a"]
    assert history[0] != history[-1] and history[-1] == pytest.approx(rate.item(), abs=1e-12)
    assert result.metrics["u"]["rel_l2"] < 1e-3


@pytest.mark.parametrize("unknown", [Unknown(0.2, positive=True), Unknown(0.2, bounds=(0.0, 1.0))])
def test_a_constrained_unknown_is_identified_and_reported_with_its_error(unknown):
    problem = growth(unknown)
    problem.reference_params["a"] = 0.7
    result = fit(problem)
    assert result.params["a"] == pytest.approx(0.7, abs=1e-3) and result.params["a"] == unknown.value().item()
    assert result.param_errors == {"a": pytest.approx(abs(result.params["a"] - 0.7) / 0.7, rel=1e-12)}


def test_known_parameters_stay_fixed_and_are_not_in_the_result():
    result = fit(growth(0.7), TrainingConfig(iterations=20, points={"pde": 32}, log_every=10))
    assert result.params == {} and not any(k.startswith("param/") for k in result.history)


def test_trained_parameters_are_written_and_read_back(tmp_path):
    rate = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    result = fit(growth(rate), TrainingConfig(iterations=30, points={"pde": 32}, log_every=10, dtype="float64"))
    loaded = load_result(result.save(tmp_path / "result.h5"))
    assert loaded.params == result.params == {"a": rate.item()}


@pytest.mark.parametrize("make", [lambda: torch.tensor(0.2, dtype=torch.float64, requires_grad=True),
                                  lambda: Unknown(0.2, positive=True)], ids=["tensor", "positive"])
def test_a_run_with_an_unknown_parameter_resumes_bit_for_bit(tmp_path, make):
    def run(**options):
        rate = make()
        config = TrainingConfig(iterations=40, points={"pde": 32}, log_every=5, dtype="float64", resample_every=7,
                                polish=PolishConfig(iterations=20, dtype="float64"))
        return fit(growth(rate), config, **options), rate

    whole, rate = run()
    checkpoint = tmp_path / "checkpoint.pt"
    stop = threading.Event()
    with pytest.raises(TrainingInterrupted):
        run(checkpoint=checkpoint, stop=stop, progress=lambda step, total, row: step >= 15 and stop.set())
    assert set(load_checkpoint(checkpoint)["trainer"]["params"]) == {"a"}
    resumed, resumed_rate = run(checkpoint=checkpoint, resume=True)
    assert resumed.params == whole.params
    for name in whole.model_state:
        assert np.array_equal(whole.model_state[name], resumed.model_state[name]), name


def test_output_transforms_and_expressions_read_parameters_when_called():
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    problem = Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u, params={"a": a})
    network = build_model(problem, {"width": 4, "depth": 1, "output_transform": {"u": "a*x"}}).double()
    x = torch.tensor([[0.5]], dtype=torch.float64)
    assert network(x).item() == 1.0
    with torch.no_grad():
        a.fill_(3.0)
    assert network(x).item() == 1.5 and network.config["params"] == {"a": 3.0}
    (gradient,) = torch.autograd.grad(network(x).sum(), a)
    assert gradient.item() == 0.5


# -- the step ----------------------------------------------------------------------------------

def test_step_returns_the_weighted_total_and_its_gradient():
    torch.manual_seed(0)
    rate = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    problem = growth(rate)
    objective = Objective(problem, build_model(problem, {"width": 6, "depth": 2}).double())
    batches = {"pde": PointSet(torch.linspace(0, 1, 17, dtype=torch.float64)[:, None]),
               "dirichlet": PointSet(torch.zeros(1, 1, dtype=torch.float64), {"normal": -torch.ones(1, 1)}),
               "data": GivenPoints(np.array([[0.5]]), u=[2.0]).sample(None, problem.domain, 0).map(torch.tensor)}
    weights = {"pde": 2.0, "dirichlet": 3.0, "data": 0.5}
    step = objective.step(batches, lambda losses, context: weights)
    # the same quantities computed independently, by hand and by autograd
    x = torch.linspace(0, 1, 17, dtype=torch.float64)[:, None].requires_grad_(True)
    u = objective.network(x)[:, 0]
    (u_x,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    expected = {"pde": ((u_x[:, 0] - rate * u) ** 2).mean(),
                "dirichlet": (objective.network(torch.zeros(1, 1, dtype=torch.float64))[0, 0] - 1.0) ** 2,
                "data": (objective.network(torch.tensor([[0.5]], dtype=torch.float64))[0, 0] - 2.0) ** 2}
    total = sum(weights[k] * v for k, v in expected.items())
    for name in expected:
        assert step.losses[name].item() == pytest.approx(expected[name].item(), rel=1e-12)
    assert step.total.item() == pytest.approx(total.item(), rel=1e-12)
    for got, want in zip(step.gradients, torch.autograd.grad(total, objective.parameters)):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    assert step.gradients[-1] is rate.grad


def test_interior_terms_share_one_network_evaluation():
    calls = []
    extra = Term("energy", Interior(), lambda f, p: f.u_x)
    problem = Problem(Domain(x=(0.0, 1.0)), ["u"], {"a": lambda f, p: f.u, "b": lambda f, p: f.u_xx}, terms=[extra])
    network = build_model(problem, {"width": 4, "depth": 1})
    network.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    objective = Objective(problem, network)
    objective.losses({"pde": PointSet(torch.rand(10, 1))})
    assert calls == [10] and problem.point_sets.keys() == {"pde"}


# -- custom terms ------------------------------------------------------------------------------

def test_custom_term_names_must_be_unique():
    with pytest.raises(SpecError, match="'dirichlet' is used twice"):
        Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u, [Dirichlet("u", on="x=0")],
                terms=[Term("dirichlet", GivenPoints([[0.5]]), lambda f, p: f.u)])
    with pytest.raises(SpecError, match="'pde' names the interior points"):
        Problem(Domain(x=(0.0, 1.0)), ["u"], {"r": lambda f, p: f.u},
                terms=[Term("pde", GivenPoints([[0.5]]), lambda f, p: f.u)])


def test_given_points_must_match_the_domain():
    with pytest.raises(ValueError, match="2 coordinates; the domain has 1"):
        GivenPoints([[0.1, 0.2]]).sample(None, Domain(x=(0.0, 1.0)), 0)


def test_point_counts_may_not_name_given_points():
    problem = growth()
    network = build_model(problem, {"width": 4, "depth": 1})
    with pytest.raises(SpecError, match="training.points: expected one of: pde, dirichlet; got 'data'"):
        Trainer(problem, network, torch.optim.Adam(network.parameters()), TrainingConfig(points={"data": 3}))


def test_fixed_weights_must_name_terms():
    problem = growth()
    network = build_model(problem, {"width": 4, "depth": 1})
    with pytest.raises(SpecError, match="weighting.weights: expected one of: pde, dirichlet, data; got 'dat'"):
        Trainer(problem, network, torch.optim.Adam(network.parameters()), TrainingConfig(), Fixed({"dat": 2.0}))


# -- terms an output transform enforces exactly ------------------------------------------------

def burgers(transform: str | None, network_options: dict | None = None) -> tuple[Problem, torch.nn.Module]:
    problem = Problem(Domain(x=(-1, 1), t=(0, 1)), ["u"], lambda f, p: f.u_t + f.u * f.u_x - 0.01 * f.u_xx,
                      [Initial("u", value=lambda f, p: -torch.sin(math.pi * f.x)),
                       Dirichlet("u", on=["x=-1", "x=1"], name="boundary"),
                       Neumann("u", on="x=1", name="flux")])
    options = {"width": 8, "depth": 2} | (network_options or {})
    if transform:
        options["output_transform"] = {"u": transform}
    torch.manual_seed(0)
    return problem, build_model(problem, options)


def trainer_for(problem, network, **config):
    config = {"iterations": 3, "log_every": 1, "points": {"pde": 16}} | config
    return Trainer(problem, network, torch.optim.Adam(network.parameters(), lr=1e-3), TrainingConfig(**config))


def test_terms_a_transform_enforces_are_left_out_and_logged_as_zero():
    trainer = trainer_for(*burgers("-sin(pi*x) + t*(1 - x**2)*u"))
    assert trainer.objective.constant == ["initial", "boundary"]
    assert [t.name for t in trainer.objective.terms] == ["pde", "flux"]  # ∂u/∂x at x = 1 still depends on N
    history = trainer.run().arrays()
    assert set(trainer.batches) == {"pde", "flux"}  # nor are their points drawn
    assert np.all(history["loss/initial"] == 0.0) and np.all(history["loss/boundary"] == 0.0)
    assert np.all(history["loss/flux"] > 0.0) and "weight/initial" not in history and "weight/flux" in history
    np.testing.assert_allclose(history["total"], history["loss/pde"] + history["loss/flux"], rtol=1e-6)


def test_a_transform_enforcing_only_the_initial_condition_leaves_the_boundary_in():
    trainer = trainer_for(*burgers("-sin(pi*x) + t*u"))
    assert trainer.objective.constant == ["initial"]


def test_without_a_transform_no_term_is_left_out():
    assert trainer_for(*burgers(None)).objective.constant == []


def test_a_network_that_happens_to_satisfy_a_condition_keeps_it():
    """An output layer of zeros satisfies u = 0 on the boundary at the start, but training moves it:
    the term's loss and gradient are zero there, the gradient of its residual is not."""
    problem, network = burgers(None)
    torch.nn.init.zeros_(network.layers[-1].weight)
    assert trainer_for(problem, network).objective.constant == []


def test_residual_blocks_make_up_the_weighted_loss():
    """Two residuals on the interior (one with two columns), a periodic pair, a boundary and data:
    the squared norm of the residual vector is the weighted total loss, in blocks of at most ``size``."""
    x = np.linspace(0.1, 0.9, 7)[:, None] * np.ones((1, 2))
    data = Term("data", GivenPoints(x, u=np.cos(x[:, :1])), lambda f, p: f.u - f.point_data["u"][:, 0])
    problem = Problem(Domain(x=(0.0, 1.0), t=(0.0, 1.0)), ["u", "v"],
                      {"pde": lambda f, p: torch.stack([f.u_t - f.v_xx, f.v_t + f.u_xx], dim=-1),
                       "energy": lambda f, p: f.u * f.v - 0.5},
                      [Periodic("u", "x", derivatives=1), Dirichlet("v", on="t=0", value=0.0, name="start")],
                      terms=[data])
    torch.manual_seed(0)
    network = build_model(problem, {"width": 8, "depth": 2}).double()
    objective = Objective(problem, network)
    rng = np.random.default_rng(0)
    batches = {name: source.sample(Sampler("uniform", 0), problem.domain, 13).map(torch.as_tensor)
               for name, source in problem.point_sets.items()}
    weights = {name: float(w) for name, w in zip(problem.term_names, rng.uniform(0.5, 3.0, len(problem.term_names)))}
    weights["energy"] = 0.0  # a term weighted 0 adds nothing
    losses = objective.losses(batches)
    total = sum(weights[name] * loss.detach() for name, loss in losses.items())
    blocks = list(objective.residual_blocks(batches, weights, size=10))
    assert all(len(block) <= 10 for block in blocks)
    assert sum(len(block) for block in blocks) == 13 * 2 + 13 * 2 + 13 + 7  # pde (2 columns), periodic (u, u_x), start, data
    assert float(sum(block.detach().square().sum() for block in blocks)) == pytest.approx(float(total), rel=1e-13)
    objective.causal = object()
    with pytest.raises(ValueError, match="plain mean-square loss terms"):
        next(objective.residual_blocks(batches, weights))
