"""The training loop: history, early stopping, resampling, clipping, divergence, schedules, the L-BFGS
phase and reproducibility. Every run here is tiny (a few dozen steps, <= 64 points, 8-unit networks)."""

import math

import numpy as np
import pytest
import torch

from pinnsolve.domain import Domain
from pinnsolve.optim.schedules import build_schedule
from pinnsolve.problem import Dirichlet, Problem
from pinnsolve.solve import build_model, solve
from pinnsolve.causal import CausalWeighting
from pinnsolve.config import AdaptiveSampling, PolishConfig, TrainingConfig
from pinnsolve.errors import SpecError
from pinnsolve.terms import Interior, Term
from pinnsolve.train import History, Trainer, TrainingDiverged

POINTS = {"pde": 32, "boundary": 8}


def poisson(**overrides) -> Problem:
    """-u'' = pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0 (solution sin(pi x))."""
    options = dict(residuals=lambda f, p: f.u_xx + math.pi**2 * torch.sin(math.pi * f.x),
                   conditions=[Dirichlet("u", on=["x=0", "x=1"], name="boundary")])
    options.update(overrides)
    return Problem(Domain(x=(0.0, 1.0)), ["u"], options["residuals"], options["conditions"])


def constant_loss() -> Problem:
    """A loss that no step can change: the residual is 1 everywhere (gradients are exactly zero)."""
    return Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u * 0.0 + 1.0)


def make_trainer(problem, seed=0, optimizer=None, lr=1e-2, **config) -> Trainer:
    config.setdefault("points", POINTS if problem.condition_names else {"pde": 16})
    torch.manual_seed(seed)
    network = build_model(problem, {"type": "mlp", "width": 8, "depth": 2})
    opt = (optimizer or torch.optim.Adam)(network.parameters(), lr=lr)
    return Trainer(problem, network, opt, TrainingConfig(**config))


# -- History -----------------------------------------------------------------------------------

def test_history_arrays():
    history = History()
    assert history.arrays() == {}
    history.log(step=1, total=2.0, **{"loss/pde": 0.5})
    history.log(step=2, total=1.0, **{"rel_l2/u": 0.25})
    arrays = history.arrays()
    assert list(arrays) == ["step", "total", "loss/pde", "rel_l2/u"]  # first-seen order
    assert all(a.dtype == np.float64 and a.shape == (2,) for a in arrays.values())
    assert np.array_equal(arrays["step"], [1.0, 2.0]) and np.array_equal(arrays["total"], [2.0, 1.0])
    assert np.array_equal(arrays["loss/pde"], [0.5, np.nan], equal_nan=True)  # missing entries are nan
    assert np.array_equal(arrays["rel_l2/u"], [np.nan, 0.25], equal_nan=True)


def test_history_has_one_row_per_log_every():
    rows = []
    trainer = make_trainer(poisson(), iterations=23, log_every=5)
    trainer.context.progress = lambda step, total, row: rows.append((step, total, dict(row)))
    history = trainer.run().arrays()
    assert history["step"].tolist() == [5, 10, 15, 20, 23]  # every 5 steps, and the last
    assert {"step", "time", "phase", "lr", "precision", "total", "loss/pde", "loss/boundary", "weight/pde", "weight/boundary",
            "norm/layers.1", "norm/layers.3", "norm/layers.5"} == set(history)
    assert np.allclose(history["total"], history["loss/pde"] + history["loss/boundary"], rtol=1e-6)
    assert [r[0] for r in rows] == [5, 10, 15, 20, 23] and {r[1] for r in rows} == {23}
    assert np.all(np.diff(history["time"]) >= 0)


def test_history_rows_of_the_lbfgs_phase():
    trainer = make_trainer(poisson(), iterations=10, log_every=5, polish=PolishConfig(iterations=7))
    steps = trainer.run().arrays()["step"].tolist()
    assert steps[:2] == [5, 10]
    assert steps[-1] == 17 == trainer.step
    assert all(b > a for a, b in zip(steps, steps[1:]))
    assert len(steps) == 4  # chunks of log_every: 15, then 17


# -- early stopping ----------------------------------------------------------------------------

def test_early_stopping_on_a_constant_loss():
    trainer = make_trainer(constant_loss(), iterations=50, log_every=10, early_stopping={"patience": 3, "min_delta": 0.0})
    history = trainer.run().arrays()
    # step 1 sets the best loss; steps 2, 3, 4 do not improve on it: patience 3 is exhausted at step 4
    assert trainer.step == 4
    assert history["step"].tolist() == [4]
    assert history["total"].tolist() == [1.0]


def test_early_stopping_with_huge_min_delta():
    trainer = make_trainer(poisson(), iterations=50, log_every=10, early_stopping={"patience": 2, "min_delta": 0.99})
    history = trainer.run().arrays()
    assert 3 <= trainer.step < 50
    assert history["step"][-1] == trainer.step


def test_no_early_stopping_runs_every_iteration():
    trainer = make_trainer(constant_loss(), iterations=12, log_every=6)
    trainer.run()
    assert trainer.step == 12


def test_early_stopping_does_not_duplicate_the_last_row():
    trainer = make_trainer(constant_loss(), iterations=50, log_every=1, early_stopping={"patience": 3})
    assert trainer.run().arrays()["step"].tolist() == [1, 2, 3, 4]


# -- resampling --------------------------------------------------------------------------------

def _spy_points(trainer):
    drawn, used = [], []
    interior = trainer.sampler.interior

    def spy_interior(domain, n):
        points = interior(domain, n)
        drawn.append(points.copy())
        return points

    losses = trainer.objective.losses

    def spy_losses(batches):
        used.append(batches["pde"].points.detach().clone())
        return losses(batches)

    trainer.sampler.interior = spy_interior
    trainer.objective.losses = spy_losses
    return drawn, used


def test_resampling_changes_the_points():
    trainer = make_trainer(poisson(), iterations=12, log_every=12, resample_every=4)
    drawn, used = _spy_points(trainer)
    trainer.run()
    assert len(drawn) == 3  # at steps 0, 4 and 8
    assert all(d.shape == (32, 1) for d in drawn)
    assert not np.array_equal(drawn[0], drawn[1]) and not np.array_equal(drawn[1], drawn[2])
    assert len(used) == 12
    for step, batch in enumerate(used):
        assert np.array_equal(batch.numpy(), drawn[step // 4].astype(np.float32)), step


def test_without_resampling_the_points_stay():
    trainer = make_trainer(poisson(), iterations=8, log_every=8, resample_every=0)
    drawn, used = _spy_points(trainer)
    trainer.run()
    assert len(drawn) == 1
    assert all(torch.equal(batch, used[0]) for batch in used)


# -- gradient clipping -------------------------------------------------------------------------

class RecordingSGD(torch.optim.SGD):
    """SGD that records the total gradient norm it is asked to step with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))
        return super().step(closure)


def steep() -> Problem:
    return Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: 50.0 * (f.u - 10.0))


def test_gradient_clipping_bounds_the_norm_the_optimizer_sees():
    unclipped = make_trainer(steep(), optimizer=RecordingSGD, lr=1e-4, iterations=6, log_every=6)
    unclipped.run()
    assert min(unclipped.optimizer.norms) > 10.0  # the problem's gradients are large

    clipped = make_trainer(steep(), optimizer=RecordingSGD, lr=1e-4, iterations=6, log_every=6, clip_grad_norm=0.5)
    clipped.run()
    assert len(clipped.optimizer.norms) == 6
    assert max(clipped.optimizer.norms) <= 0.5 * (1 + 1e-5)
    assert min(clipped.optimizer.norms) >= 0.5 * (1 - 1e-3)  # scaled down to the bound, not zeroed


# -- divergence --------------------------------------------------------------------------------

def test_nan_residual_raises_with_term_and_step():
    calls = []

    def blowup(f, p):
        calls.append(None)
        return f.u * (math.nan if len(calls) >= 3 else 1.0)  # fine at steps 0 and 1, nan at step 2

    trainer = make_trainer(poisson(residuals={"blowup": blowup}), iterations=20, log_every=5)
    with pytest.raises(TrainingDiverged) as caught:
        trainer.run()
    message = str(caught.value)
    assert "'blowup'" in message and "nan" in message and "step 2" in message
    assert trainer.step == 2


def test_infinite_condition_raises_with_its_name():
    problem = poisson(conditions=[Dirichlet("u", on="x=1", value=lambda f, p: f.x * math.inf, name="wall")])
    with pytest.raises(TrainingDiverged, match=r"'wall'.*inf.*step 0"):
        make_trainer(problem, iterations=5, log_every=5, points={"pde": 16, "wall": 4}).run()


def test_nan_in_the_lbfgs_phase_raises():
    def nan_in_float64(f, p):
        return f.u_xx + (math.nan if f.u.dtype == torch.float64 else 0.0)

    trainer = make_trainer(poisson(residuals=nan_in_float64), iterations=3, log_every=3,
                           polish=PolishConfig(iterations=3, dtype="float64"))
    with pytest.raises(TrainingDiverged, match=r"'pde'.*step 3"):
        trainer.run()


# -- learning-rate schedules -------------------------------------------------------------------

def test_exponential_schedule_reaches_factor_times_lr():
    trainer = make_trainer(poisson(), optimizer=torch.optim.SGD, lr=0.01, iterations=20, log_every=5,
                           schedule={"type": "exponential", "factor": 0.1})
    history = trainer.run().arrays()
    steps = history["step"]
    assert np.allclose(history["lr"], 0.01 * 0.1 ** (steps / 20), rtol=1e-12, atol=0)
    assert history["lr"][-1] == pytest.approx(0.001, rel=1e-12)


def test_cosine_schedule():
    trainer = make_trainer(poisson(), optimizer=torch.optim.SGD, lr=0.01, iterations=20, log_every=5,
                           schedule={"type": "cosine", "factor": 0.2})
    history = trainer.run().arrays()
    expected = 0.002 + (0.01 - 0.002) * (1 + np.cos(np.pi * history["step"] / 20)) / 2
    assert np.allclose(history["lr"], expected, rtol=1e-9, atol=0)
    assert history["lr"][1] == pytest.approx(0.006, rel=1e-9)  # half way
    assert history["lr"][-1] == pytest.approx(0.002, rel=1e-9)


def test_plateau_schedule_by_build_schedule():
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    schedule = build_schedule("plateau", optimizer, 100, factor=0.5, patience=2)
    lrs = []
    for _ in range(7):
        schedule.step(3.0)  # a loss that never improves
        lrs.append(optimizer.param_groups[0]["lr"])
    # step 1 sets the best; 3 steps without improvement (more than patience 2) halve the lr
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]

    optimizer = torch.optim.SGD([parameter], lr=1.0)
    schedule = build_schedule("plateau", optimizer, 100, factor=0.5, patience=2)
    for loss in np.geomspace(1, 1e-3, 10):  # steadily improving: never reduced
        schedule.step(loss)
    assert optimizer.param_groups[0]["lr"] == 1.0


def test_plateau_schedule_in_training():
    trainer = make_trainer(constant_loss(), optimizer=torch.optim.SGD, lr=0.1, iterations=10, log_every=1,
                           schedule={"type": "plateau", "factor": 0.5, "patience": 2})
    lrs = trainer.run().arrays()["lr"]
    assert np.allclose(lrs, 0.1 * np.array([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]), rtol=1e-15)


@pytest.mark.parametrize("kind, options", [
    ("exponential", {"factor": 0.0}), ("exponential", {"factor": 2.0}), ("cosine", {"factor": -0.1}),
    ("plateau", {"factor": 1.0}), ("plateau", {"patience": 0}), ("exponential", {"patience": 3}), ("step", {}),
])
def test_build_schedule_refuses_bad_options(kind, options):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError):
        build_schedule(kind, optimizer, 10, **options)


# -- the L-BFGS phase --------------------------------------------------------------------------

def test_lbfgs_phase_runs_in_float64_and_reduces_the_loss():
    trainer = make_trainer(poisson(), iterations=5, log_every=5, dtype="float32",
                           polish=PolishConfig(iterations=10, dtype="float64"))
    batch_dtypes = []
    losses = trainer.objective.losses
    trainer.objective.losses = lambda batches: batch_dtypes.append(batches["pde"].points.dtype) or losses(batches)
    history = trainer.run().arrays()
    assert {p.dtype for p in trainer.network.parameters()} == {torch.float64}
    assert batch_dtypes[:5] == [torch.float32] * 5 and set(batch_dtypes[5:]) == {torch.float64}
    first_phase_loss = history["total"][0]
    assert history["step"][0] == 5 and history["step"][-1] == 15
    assert history["total"][-1] < 0.2 * first_phase_loss
    assert history["lr"][-1] == 1.0  # L-BFGS with a line search


def test_lbfgs_phase_in_float32_keeps_float32():
    trainer = make_trainer(poisson(), iterations=2, log_every=5, dtype="float32",
                           polish=PolishConfig(iterations=3, dtype="float32"))
    trainer.run()
    assert {p.dtype for p in trainer.network.parameters()} == {torch.float32}


def test_lbfgs_uses_its_own_point_counts():
    trainer = make_trainer(poisson(), iterations=2, log_every=5,
                           polish=PolishConfig(iterations=2, points={"pde": 48, "boundary": 6}))
    sizes = []
    losses = trainer.objective.losses
    trainer.objective.losses = lambda batches: sizes.append((len(batches["pde"]), len(batches["boundary"]))) or losses(batches)
    trainer.run()
    assert sizes[:2] == [(32, 8), (32, 8)] and set(sizes[2:]) == {(48, 6)}


# -- reproducibility ---------------------------------------------------------------------------

def _run(seed):
    config = TrainingConfig(iterations=10, points=POINTS, log_every=5, seed=seed, sampler="sobol",
                            resample_every=5, polish=PolishConfig(iterations=0))
    return solve(poisson(), {"type": "mlp", "width": 8, "depth": 2}, {"type": "adam", "lr": 1e-2},
                 training=config, axes={"x": np.linspace(0, 1, 11)})


def test_seed_makes_runs_bit_identical():
    a, b, c = _run(5), _run(5), _run(6)
    assert a.model_state.keys() == b.model_state.keys()
    for key in a.model_state:
        assert np.array_equal(a.model_state[key], b.model_state[key]), key
    assert np.array_equal(a.solution["u"], b.solution["u"])
    for key in a.history:
        if key != "time":
            assert np.array_equal(a.history[key], b.history[key]), key
    assert not np.array_equal(a.solution["u"], c.solution["u"])
    assert not np.array_equal(a.history["total"], c.history["total"])
    assert any(not np.array_equal(a.model_state[k], c.model_state[k]) for k in a.model_state)


# -- adaptive sampling and the L-BFGS safeguards -------------------------------------------------

def test_adaptive_sampling_follows_the_residual_density():
    """Residual r = x on [0, 1]: RAD draws with p(x) ∝ x/mean(x) + c = 2x + c. For c = 0 the mean of
    the points is ∫2x² = 2/3; for c = 1, p = x + 1/2 and the mean is 1/3 + 1/4 = 7/12 (uniform: 1/2)."""
    problem = Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.x + 0.0 * f.u)
    for c, mean in ((0.0, 2 / 3), (1.0, 7 / 12)):
        trainer = make_trainer(problem, adaptive=AdaptiveSampling(k=1.0, c=c, candidates=200_000), dtype="float64")
        trainer.network.double()
        trainer.step = 1  # at step 0 the points are plain quasi-random
        points = trainer.sample({"pde": 20_000})["pde"].points.numpy()[:, 0]
        assert abs(points.mean() - mean) < 0.01
        assert len(np.unique(points)) == len(points)  # drawn without replacement


def test_first_draw_ignores_the_untrained_residual():
    problem = Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.x + 0.0 * f.u)
    trainer = make_trainer(problem, adaptive=AdaptiveSampling(k=1.0, c=0.0))
    assert abs(trainer.sample({"pde": 4096})["pde"].points.numpy().mean() - 0.5) < 0.01


def test_residual_magnitude_is_the_norm_over_residual_terms():
    problem = Problem(Domain(x=(0.0, 1.0)), ["u"], {"a": lambda f, p: 3 * f.x + 0.0 * f.u, "b": lambda f, p: 4 * f.x + 0.0 * f.u})
    trainer = make_trainer(problem, dtype="float64")
    trainer.network.double()
    x = np.linspace(0, 1, 11)[:, None]
    np.testing.assert_allclose(trainer.objective.residual_magnitude(x, torch.float64, "cpu", chunk=4), 5 * x[:, 0],
                               rtol=1e-12)


def test_lbfgs_resamples_and_restarts_on_schedule():
    trainer = make_trainer(poisson(), iterations=2, log_every=100,
                           polish=PolishConfig(iterations=12, dtype="float64", resample_every=5))
    draws = []
    original = trainer.sample
    trainer.sample = lambda counts: draws.append(trainer.step) or original(counts)
    trainer.run()
    assert draws == [0, 2, 7, 12]  # the first phase, the L-BFGS start, then every 5 L-BFGS iterations
    assert trainer.history.arrays()["step"].tolist() == [2, 7, 12, 14]


@pytest.mark.parametrize("kind", ["bfgs", "ssbfgs", "ssbroyden", "lm", "natural_gradient"])
def test_every_polish_type_runs_in_float64_and_reduces_the_loss(kind):
    trainer = make_trainer(poisson(), iterations=5, log_every=5, dtype="float32",
                           polish=PolishConfig(type=kind, iterations=20))
    history = trainer.run().arrays()
    assert {p.dtype for p in trainer.network.parameters()} == {torch.float64}  # "auto": float64 from the start
    assert history["step"].tolist() == [5, 10, 15, 20, 25] and history["precision"].tolist() == [32] + [64] * 4
    assert history["total"][-1] < 0.01 * history["total"][0]
    assert np.allclose(history["total"], history["loss/pde"] + history["loss/boundary"], rtol=1e-7)


def test_a_dense_polish_keeps_its_curvature_over_new_points():
    trainer = make_trainer(poisson(), iterations=2, log_every=100,
                           polish=PolishConfig(type="ssbroyden", iterations=12, resample_every=5))
    matrices = []
    original = trainer.sample

    def sample(counts):
        if trainer.polish.optimizer is not None:
            matrices.append(trainer.polish.optimizer.state[trainer.objective.parameters[0]]["H"].clone())
        return original(counts)

    trainer.sample = sample
    trainer.run()
    assert len(matrices) == 2 and all(H is not None for H in matrices)
    assert trainer.polish.optimizer.state[trainer.objective.parameters[0]]["n_iter"] == 12  # one optimizer throughout


def test_a_network_too_large_for_a_dense_polish_is_refused_before_training():
    problem = poisson()
    torch.manual_seed(0)
    network = build_model(problem, {"type": "mlp", "width": 150, "depth": 2})  # 23,101 trainable values
    with pytest.raises(SpecError, match=r"ssbroyden keeps dense 23,101 × 23,101 matrices; it takes at most 20,000 "
                                        r"trainable values: use type lbfgs"):
        Trainer(problem, network, torch.optim.Adam(network.parameters()),
                TrainingConfig(polish=PolishConfig(type="ssbroyden", iterations=1)))
    Trainer(problem, network, torch.optim.Adam(network.parameters()),  # L-BFGS has no such limit
            TrainingConfig(polish=PolishConfig(type="lbfgs", iterations=1)))


@pytest.mark.parametrize("kind", ["lm", "natural_gradient"])
def test_gauss_newton_needs_the_plain_mean_square_loss(kind):
    in_time = Problem(Domain(x=(0.0, 1.0), t=(0.0, 1.0)), ["u"], lambda f, p: f.u_t - f.u_xx)
    with pytest.raises(SpecError, match="training.causal weights it in time: use type ssbroyden"):
        make_trainer(in_time, polish=PolishConfig(type=kind, iterations=1), causal=CausalWeighting())
    custom = Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u - 1,
                     terms=[Term("mean", Interior(), lambda f, p: f.u_x, reduction=lambda r: r.mean() ** 2)])
    with pytest.raises(SpecError, match="'mean' has its own reduction: use type ssbroyden"):
        make_trainer(custom, polish=PolishConfig(type=kind, iterations=1))


def test_auto_precision_moves_to_float64_when_float32_stalls_then_stops():
    """A loss with exactly zero gradient stalls every line search: float32 is given up for float64,
    and when float64 stalls too the polish ends early instead of spinning."""
    trainer = make_trainer(constant_loss(), iterations=1, log_every=10, polish=PolishConfig(iterations=100, dtype="auto"))
    trainer.run()
    assert next(trainer.network.parameters()).dtype == torch.float64
    assert trainer.step < 1 + 100


def test_fixed_precision_stops_instead_of_promoting():
    trainer = make_trainer(constant_loss(), iterations=1, log_every=10, polish=PolishConfig(iterations=100, dtype="float32"))
    trainer.run()
    assert next(trainer.network.parameters()).dtype == torch.float32
    assert trainer.step < 1 + 100
