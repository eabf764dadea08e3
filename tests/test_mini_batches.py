"""Mini-batches of collocation points: each first-phase step takes the next run of ``batch_size``
points of a set (wrapping around, pairs kept together), the history records the losses over the
whole sets, and the polish always uses the whole sets."""

import math

import numpy as np
import pytest
import torch

from pinnsolve.config import PolishConfig, TrainingConfig
from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError
from pinnsolve.objective import Objective
from pinnsolve.problem import Dirichlet, Problem
from pinnsolve.solve import build_model
from pinnsolve.terms import PointSet
from pinnsolve.train import Trainer


def test_cycle_takes_runs_of_the_set_and_wraps_around_keeping_pairs():
    points = np.arange(2 * 7 * 1, dtype=float).reshape(2, 7, 1)  # 7 pairs
    data = np.arange(7, dtype=float).reshape(1, 7, 1).repeat(2, axis=0)
    whole = PointSet(points, {"normal": data})
    runs = [whole.cycle(3, k) for k in range(4)]
    assert [run.points[0, :, 0].tolist() for run in runs] == [[0, 1, 2], [3, 4, 5], [6, 0, 1], [2, 3, 4]]
    for run in runs:
        np.testing.assert_array_equal(run.points[1] - run.points[0], 7.0)  # each partner stays with its pair
        np.testing.assert_array_equal(run.data["normal"][0, :, 0], run.points[0, :, 0])


def poisson() -> Problem:
    return Problem(Domain(x=(0.0, 1.0)), ["u"], lambda f, p: f.u_xx + math.pi**2 * torch.sin(math.pi * f.x),
                   [Dirichlet("u", on=["x=0", "x=1"], name="boundary")])


def trainer(**config) -> Trainer:
    problem = poisson()
    torch.manual_seed(0)
    network = build_model(problem, {"type": "mlp", "width": 8, "depth": 2})
    return Trainer(problem, network, torch.optim.Adam(network.parameters(), lr=1e-2),
                   TrainingConfig(points={"pde": 40, "boundary": 8}, dtype="float64", log_every=5, **config))


def record_steps(monkeypatch) -> list[dict[str, torch.Tensor]]:
    seen = []
    step = Objective.step
    monkeypatch.setattr(Objective, "step", lambda self, batches, weigh: (
        seen.append({name: points.points.clone() for name, points in batches.items()}), step(self, batches, weigh))[1])
    return seen


def test_each_step_takes_the_next_batch_in_turn(monkeypatch):
    run, seen = trainer(iterations=10, batch_size={"pde": 16}), record_steps(monkeypatch)
    run.run()
    assert all(len(points["pde"]) == 16 and len(points["boundary"]) == 8 for points in seen)
    # five steps of 16 go twice round the 40 points: every point in turn
    order = torch.cat([points["pde"] for points in seen[:5]])[:, 0]
    np.testing.assert_array_equal(order.numpy(), torch.cat([run.batches["pde"].points] * 2)[:80, 0].numpy())


def test_the_polish_takes_the_whole_sets(monkeypatch):
    run, seen = trainer(iterations=4, batch_size={"pde": 16}, polish=PolishConfig(type="ssbroyden", iterations=3)), \
        record_steps(monkeypatch)
    run.run()
    assert len(seen) > 4 and all(len(points["pde"]) == 40 for points in seen[4:])


def test_logged_losses_are_over_the_whole_sets():
    run = trainer(iterations=10, batch_size={"pde": 16})
    run.run()
    whole = run.objective.losses(run.batches)
    last = run.history.rows[-1]
    for name, loss in whole.items():
        assert last[f"loss/{name}"] == pytest.approx(float(loss), rel=1e-12)


def test_a_batch_as_large_as_the_set_is_the_full_batch():
    full, batched = trainer(iterations=10), trainer(iterations=10, batch_size={"pde": 40, "boundary": 100})
    full.run(), batched.run()
    for a, b in zip(full.network.parameters(), batched.network.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_batch_size_for_no_point_set_is_refused():
    with pytest.raises(SpecError, match="training.batch_size: expected one of: pde, boundary; got 'walls'"):
        trainer(iterations=1, batch_size={"walls": 4})
