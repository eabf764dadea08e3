"""history.png shows what there is to see: no panel for constant weights, no curve for terms an
output transform enforces exactly, layers named by position, and the polish and precision
switches marked (checked on the figure's axes, not its pixels)."""

import matplotlib.pyplot as plt
import pytest

from pinnsolve.config import PolishConfig, TrainingConfig
from pinnsolve.plots import _history_figure
from pinnsolve.solve import solve
from pinnsolve.spec import build_spec

# Burgers with its conditions built into the network (u = -sin(πx) + t(1 - x²)N): the initial and
# boundary terms are exactly zero, so they are left out of training and of the figure.
BURGERS = {"variables": {"x": [-1, 1], "t": [0, 1]}, "fields": ["u"], "params": {"nu": 0.01}, "pde": "u_t + u*u_x - nu*u_xx",
           "conditions": [{"type": "initial", "value": "-sin(pi*x)"},
                          {"type": "dirichlet", "on": ["x=-1", "x=1"], "value": 0, "name": "boundary"}],
           "network": {"type": "mlp", "width": 8, "depth": 3, "output_transform": {"u": "-sin(pi*x) + t*(1 - x**2)*u"}}}


@pytest.fixture(scope="module")
def figure():
    spec = build_spec(BURGERS)
    training = TrainingConfig(iterations=20, log_every=5, points={"pde": 64},
                              polish=PolishConfig(type="lbfgs", iterations=10, dtype="float64"))
    result = solve(spec.problem, spec.network, training=training, axes={"x": [-1, 0, 1], "t": [0, 1]})
    figure = _history_figure(result)
    yield figure
    plt.close(figure)


def panels(figure) -> dict[str, list[str]]:
    return {ax.get_title(): [text.get_text() for text in ax.get_legend().get_texts()]
            for ax in figure.axes if ax.get_visible()}


def test_panels_with_nothing_to_show_are_left_out(figure):
    assert list(panels(figure)) == ["loss", "layer weight norms"]  # fixed weights: no weights panel


def test_terms_enforced_exactly_are_not_drawn(figure):
    assert panels(figure)["loss"] == ["total", "pde"]


def test_layers_are_named_by_position(figure):
    assert panels(figure)["layer weight norms"] == ["input", "hidden 1", "hidden 2", "output"]


def test_the_polish_and_the_precision_switch_are_marked(figure):
    for ax in (ax for ax in figure.axes if ax.get_visible()):
        marks = [text.get_text().strip() for text in ax.texts]
        assert marks == ["polish", "float64"]
        assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [20, 20]
