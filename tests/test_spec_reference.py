"""The reference section: ODE systems, the benchmark solutions with their domain checks, and the
true values of unknown parameters."""

import math

import numpy as np
import pytest

from pinnsolve.errors import SpecError
from pinnsolve.references import allen_cahn, schrodinger
from pinnsolve.spec import build_spec

OSCILLATOR = {"variables": {"t": [0, 6]}, "fields": ["x", "v"], "params": {"w": 2.0},
              "pde": {"position": "x_t - v", "velocity": "v_t + w**2*x"},
              "reference": {"type": "ode", "rates": {"x": "v", "v": "-w**2*x"}, "initial": {"x": 1, "v": 0}}}


def test_an_ode_reference_integrates_the_given_rates():
    reference = build_spec(OSCILLATOR).problem.reference
    t = np.linspace(0, 6, 61)
    values = reference({"t": t})
    assert np.max(np.abs(values["x"] - np.cos(2 * t))) < 1e-10 and np.max(np.abs(values["v"] + 2 * np.sin(2 * t))) < 1e-10


def test_an_ode_reference_reads_true_values_of_unknowns():
    document = OSCILLATOR | {"params": {"w": {"initial": 1.0, "positive": True}},
                             "reference": OSCILLATOR["reference"] | {"params": {"w": 3.0}}}
    spec = build_spec(document)
    assert spec.problem.reference_params == {"w": 3.0}
    assert spec.problem.reference({"t": np.array([0.5])})["x"][0] == pytest.approx(math.cos(1.5), abs=1e-10)
    with pytest.raises(SpecError, match=r"^reference.rates.v: 'w' is an unknown parameter: give the true value the "
                                        r"reference uses in reference.params.w$"):
        build_spec(document | {"reference": OSCILLATOR["reference"]})


@pytest.mark.parametrize("change, message", [
    ({"variables": {"t": [0, 6], "s": [0, 1]}}, "an ode reference needs one variable; this domain has 2"),
    ({"reference": OSCILLATOR["reference"] | {"rates": {"x": "v"}}}, "reference.rates.v: missing"),
    ({"reference": OSCILLATOR["reference"] | {"initial": {"x": 1, "v": "a"}}}, "reference.initial.v: expected a finite number"),
])
def test_bad_ode_references_are_refused(change, message):
    with pytest.raises(SpecError) as caught:
        build_spec(OSCILLATOR | change)
    assert message in str(caught.value)


def test_the_benchmark_references_are_the_spectral_solutions_on_their_domains():
    allen = {"variables": {"x": [-1, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t", "reference": {"type": "allen_cahn"}}
    x, t = np.array([-0.5, 0.25]), np.array([0.1, 0.9])
    assert np.array_equal(build_spec(allen).problem.reference({"x": x, "t": t})["u"], allen_cahn(x, t))
    nls = {"variables": {"x": [-5, 5], "t": [0, math.pi / 2]}, "fields": ["re", "im"], "pde": "re_t",
           "reference": {"type": "schrodinger"}}
    values = build_spec(nls).problem.reference({"x": x, "t": t})
    exact = schrodinger(x, t)
    assert np.array_equal(values["re"], exact["u"]) and np.array_equal(values["im"], exact["v"])
    with pytest.raises(SpecError, match=r"allen_cahn is solved on the variables x in \[-1, 1\], t in \[0, 1\]; "
                                        r"this domain differs"):
        build_spec(allen | {"variables": {"x": [0, 1], "t": [0, 1]}})
    with pytest.raises(SpecError, match=r"schrodinger gives 2 fields \(u, v, in this order\); this problem has 1"):
        build_spec(nls | {"fields": ["u"], "pde": "u_t"})
