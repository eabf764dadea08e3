"""Forward Taylor mode against nested autograd: every network family, input embedding, activation
and output transform gives the same fields, derivatives and parameter gradients, in float64."""

import math

import pytest
import torch
from torch import nn

from pinnsolve.derivatives import Fields
from pinnsolve.nets import NETWORKS, OutputTransform
from pinnsolve.taylor import Jet, Plan, forward_engine, supports

FIELDS, VARIABLES = ["u", "v"], ["x", "y", "t"]
# every first derivative, every pure and mixed second derivative, read in one go
READS = {"u", "v"} | {f"{f}_{a}" for f in FIELDS for a in VARIABLES} | {
    f"{f}_{a}{b}" for f in FIELDS for i, a in enumerate(VARIABLES) for b in VARIABLES[i:]}


def network(kind, activation="tanh", fourier_features=None, periodic=None, transform=None, seed=0):
    torch.manual_seed(seed)
    options = {"width": 8, "activation": activation, "fourier_features": fourier_features, "periodic": periodic}
    options |= {"depth": 3} if kind == "mlp" else {"blocks": 2}
    if kind == "adaresnet":
        options["skip_init"] = 0.3  # a nonzero skip weight, so the skip path counts
    net = NETWORKS[kind]([-1, 0, 0], [1, 2, 1], outputs=2, **options)
    if transform is not None:
        net = OutputTransform(net, FIELDS, VARIABLES, transform, {"k": torch.tensor(1.5, requires_grad=True)})
    return net.double()


def points(n=7, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, generator=generator, dtype=torch.float64) * torch.tensor([2.0, 2.0, 1.0]) - torch.tensor(
        [1.0, 0.0, 0.0])


def assert_close(got, expected, what=""):
    """Equal to 1e-10 relative to the largest value (a few values of a gradient cancel by 1e3)."""
    scale = 1 + expected.abs().max().item()
    assert (got - expected).abs().max().item() <= 1e-10 * scale, what


def assert_same(net, reads=READS, pts=None):
    """Every read derivative and the gradient of a loss made of them agree with nested autograd."""
    pts = points() if pts is None else pts
    engine = forward_engine(net, reads, FIELDS, VARIABLES)
    assert engine is not None
    forward, nested = Fields(pts, net, FIELDS, VARIABLES, engine=engine), Fields(pts, net, FIELDS, VARIABLES)
    for name in sorted(reads):
        assert_close(forward[name], nested[name], name)
    parameters = [p for p in net.parameters()] + ([net.params["k"]] if isinstance(net, OutputTransform) else [])

    def gradient(f):  # every derivative with its own weight, so each one's gradient counts
        loss = sum((1 + i / 7) * f[name].square().mean() for i, name in enumerate(sorted(reads)))
        return torch.autograd.grad(loss, parameters, allow_unused=True, materialize_grads=True)

    for got, expected in zip(gradient(forward), gradient(nested)):
        assert_close(got, expected)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
@pytest.mark.parametrize("activation", ["tanh", "sin", "gelu", "silu"])
def test_every_family_and_activation(kind, activation):
    assert_same(network(kind, activation))


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_fourier_features_and_periodic_embedding(kind):
    assert_same(network(kind, fourier_features={"count": 4, "scale": 1.0}))
    assert_same(network(kind, periodic=[2, 0, 0]))
    assert_same(network(kind, fourier_features={"count": 3, "scale": 2.0}, periodic=[0, 1, 0]))


TRANSFORMS = [
    {"u": "-sin(pi*x) + t*(1 - x**2)*u"},  # the Burgers hard constraint
    {"u": "exp(-t)*cos(x)*y + k*t*u", "v": "tanh(v)*sqrt(1 + y) - log(2 + x)/(1 + t**2)"},
    {"u": "tan(0.3*u) + abs(x - 0.1)*u**3 + 2**t*v**0.5", "v": "u/(2 + v*v) - 3/(2 + x) + (1 + t)**(1 + y)"},
    {"v": "1.5", "u": "k"},  # constants in the inputs
]


@pytest.mark.parametrize("transform", TRANSFORMS, ids=range(len(TRANSFORMS)))
@pytest.mark.parametrize("kind", ["mlp", "adaresnet"])
def test_output_transforms(kind, transform):
    net = network(kind, transform=transform)
    pts = points()
    if "v**0.5" in transform.get("u", ""):  # a fractional power needs a positive base
        with torch.no_grad():
            net.network.layers[-1].bias.copy_(torch.tensor([0.0, 5.0]))
    assert_same(net, pts=pts)


def test_a_partial_plan_computes_only_what_is_read_and_falls_back_for_the_rest():
    net = network("mlp")
    reads = {"u", "u_t", "u_xx", "v_xy"}
    assert Plan.of({(), (2,), (0, 0), (0, 1)}) == Plan(first=(0, 1, 2), seconds=(((0, 0),), ((0, 1),)))
    assert_same(net, reads)
    pts = points()
    f = Fields(pts, net, FIELDS, VARIABLES, engine=forward_engine(net, reads, FIELDS, VARIABLES))
    assert_close(f.u_yy, Fields(pts, net, FIELDS, VARIABLES).u_yy)
    assert_close(f.u_xxx, Fields(pts, net, FIELDS, VARIABLES).u_xxx)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_a_sum_of_second_derivatives_is_carried_as_one_part(kind):
    """The Laplacian read as one sum: d + 2 parts, and the same values and gradients."""
    plan = Plan.of({(), ((0, 0), (1, 1), (2, 2))})
    assert plan == Plan(first=(0, 1, 2), seconds=(((0, 0), (1, 1), (2, 2)),))
    assert len(plan.derivatives()) == 5
    net = network(kind, fourier_features={"count": 3, "scale": 1.0},
                  transform={"u": "x*(1 - x)*u + sin(t)", "v": "v*u"})
    assert_same(net, {"u", "u_xx+u_yy+u_tt", "v_xx+v_yy", "v_xt", "u_x"})


def test_paired_points_keep_their_layout():
    net = network("resnet", periodic=[1, 0, 0])
    pairs = torch.stack([points(5, 2), points(5, 3)])
    engine = forward_engine(net, {"u", "u_x"}, FIELDS, VARIABLES)
    forward, nested = Fields(pairs, net, FIELDS, VARIABLES, engine=engine), Fields(pairs, net, FIELDS, VARIABLES)
    assert forward.u_x.shape == (2, 5)
    assert_close(forward.u_x, nested.u_x)


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return torch.tanh(self.linear(x))


class SubclassedMLP(NETWORKS["mlp"]):
    def forward(self, x):
        return super().forward(x) ** 2


def test_nested_autograd_serves_where_forward_mode_cannot():
    net = network("mlp")
    assert forward_engine(net, {"u", "u_xxx"}, FIELDS, VARIABLES) is None  # third order
    assert forward_engine(net, None, FIELDS, VARIABLES) is None  # the residual does not say what it reads
    assert forward_engine(Custom(), {"u_x"}, FIELDS, VARIABLES) is None  # a module of the user's own
    assert forward_engine(SubclassedMLP([0, 0, 0], [1, 1, 1], 2), {"u_x"}, FIELDS, VARIABLES) is None
    assert not supports(nn.Sequential(nn.Linear(3, 2), nn.GELU(approximate="tanh")))
    assert supports(nn.Sequential(nn.Linear(3, 2), nn.GELU()))


def test_jet_arithmetic_against_hand_derived_derivatives():
    """d/dx and d²/dx² of x·sin(x), x/(1+x²) and 3**x at a few points, from the formulas."""
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    plan = Plan.of({(0,), (0, 0)})
    jet = Jet.inputs(x[:, None], plan).column(0)
    cases = [
        (jet * jet.sin(), lambda x: math.sin(x) + x * math.cos(x), lambda x: 2 * math.cos(x) - x * math.sin(x)),
        (jet / (1 + jet ** 2), lambda x: (1 - x * x) / (1 + x * x) ** 2,
         lambda x: (2 * x ** 3 - 6 * x) / (1 + x * x) ** 3),
        (3 ** jet, lambda x: math.log(3) * 3 ** x, lambda x: math.log(3) ** 2 * 3 ** x),
        (jet ** 1 * jet ** 2 + jet ** 0, lambda x: 3 * x * x, lambda x: 6 * x),
    ]
    for result, first, second in cases:
        expected_first = torch.tensor([first(v) for v in x.tolist()], dtype=torch.float64)
        expected_second = torch.tensor([second(v) for v in x.tolist()], dtype=torch.float64)
        torch.testing.assert_close(result.first[0].expand(3), expected_first, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(result.second[0].expand(3), expected_second, rtol=1e-12, atol=1e-12)
