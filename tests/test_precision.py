"""Reduced precision is opt-in: bf16 evaluates the losses under bfloat16 autocast (close to the
float32 values, to bfloat16's 8 bits), and a mode the device or dtype lacks is refused."""

import pytest
import torch

from pinnsolve.errors import SpecError
from pinnsolve.objective import Objective
from pinnsolve.sampling import Sampler
from pinnsolve.solve import build_model
from pinnsolve.spec import build_spec

SPEC = {"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t - 0.1*u_xx",
        "conditions": [{"type": "initial", "value": "sin(pi*x)"}]}


def test_bf16_losses_are_the_float32_ones_to_bfloat16_precision():
    spec = build_spec(SPEC)
    problem = spec.problem
    torch.manual_seed(0)
    network = build_model(problem, spec.network)
    batches = {name: source.sample(Sampler("sobol", 0), problem.domain, 256).map(lambda a: torch.tensor(a, dtype=torch.float32))
               for name, source in problem.point_sets.items()}
    exact = Objective(problem, network).losses(batches)
    reduced = Objective(problem, network, precision="bf16").losses(batches)
    assert reduced["pde"].dtype == torch.bfloat16  # the network's products ran in bfloat16
    for name, loss in exact.items():
        assert float(reduced[name]) == pytest.approx(float(loss), rel=3e-2)  # 8-bit mantissa: about 2 digits
        assert float(reduced[name]) != float(loss)


@pytest.mark.parametrize("training, message", [
    ({"precision": "tf32"}, "training.precision: tf32 is a mode of NVIDIA GPUs; this run's device is cpu: use highest, or bf16"),
    ({"precision": "bf16", "dtype": "float64"}, "training.precision: bf16 evaluates a float32 network in bfloat16; "
                                                "set training.dtype: float32"),
    ({"precision": "half"}, "training.precision: expected one of: highest, tf32, bf16; got 'half'"),
])
def test_a_mode_the_run_cannot_have_is_refused(training, message):
    with pytest.raises(SpecError) as caught:
        build_spec(SPEC | {"training": training})
    assert str(caught.value) == message
