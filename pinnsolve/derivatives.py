"""Fields and their partial derivatives at collocation points: the one seam between the loss terms
and how derivatives are computed.

:class:`Fields` is built from the points and the network (not from outputs computed beforehand), so
the engine behind it can change without touching a residual. A residual reads ``f.u_xx``; the name
is split into the field (``u``) and the variables to differentiate by (``x``, ``x``); mixed partials
commute for the smooth networks used here, so the order of differentiation is normalised.

Two engines stand behind it:

- forward Taylor mode, when the caller knows which derivatives will be read (compiled expressions
  list them): :func:`pinnsolve.taylor.forward_engine` builds it, and one pass computes
  exactly those, up to second order, for the networks pinnsolve builds;
- nested autograd otherwise (third order and up, a network of the user's own modules, a residual
  that does not say what it reads): each derivative is computed the first time it is read and
  cached, so a residual pays for exactly the derivatives it uses, and a mixed partial ``u_xt``
  reuses ``u_x``. One backward pass gives the gradient of a field or derivative with respect to all
  variables at once; the graph is kept (``create_graph``) so the loss can be differentiated with
  respect to the network parameters.
"""

from collections.abc import Callable, Mapping
from functools import lru_cache

import torch

# points (n, d) -> {(field index, derivative as derivative_key gives it): values (n,)}
Engine = Callable[[torch.Tensor], Mapping[tuple[int, tuple], torch.Tensor]]


@lru_cache(maxsize=4096)
def parse_name(name: str, fields: tuple[str, ...], variables: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """``"u_xt"`` -> ``("u", ("x", "t"))``, ``"u"`` -> ``("u", ())``; None when it names no derivative.

    The longest field prefix wins; the suffix must split into variable names in exactly one way.
    """
    if name in fields:
        return name, ()
    for field in sorted(fields, key=len, reverse=True):
        if name.startswith(field + "_") and len(name) > len(field) + 1:
            splits = _split(name[len(field) + 1:], variables)
            if len(splits) == 1:
                return field, splits[0]
    return None


def derivative_key(name: str, fields: tuple[str, ...], variables: tuple[str, ...]) -> tuple[str, tuple] | None:
    """``"u_xt"`` -> ``("u", (0, 1))``: the field and the variable indices, sorted (mixed partials
    commute). A sum of second derivatives of one field, ``"u_xx+u_yy"`` (what a Laplacian reads),
    -> ``("u", ((0, 0), (1, 1)))``. None when the name is neither."""
    keys = []
    for part in name.split("+"):
        parsed = parse_name(part, fields, variables)
        if parsed is None:
            return None
        keys.append((parsed[0], tuple(sorted(variables.index(v) for v in parsed[1]))))
    if len(keys) == 1:
        return keys[0]
    if len({field for field, _ in keys}) > 1 or any(len(by) != 2 for _, by in keys):
        return None
    return keys[0][0], tuple(sorted(by for _, by in keys))


def _split(suffix: str, variables: tuple[str, ...]) -> list[tuple[str, ...]]:
    """At most two ways to split ``suffix`` into variable names: parse_name only asks whether there
    is exactly one. Listing them all would take exponential time (variables x and xx split
    "xxx...x" in Fibonacci-many ways), and recursing would overflow the stack on a long suffix."""
    ways: list[list[tuple[str, ...]]] = [[] for _ in suffix] + [[()]]  # ways[i]: splits of suffix[i:]
    for i in range(len(suffix) - 1, -1, -1):
        for v in variables:
            if v and suffix.startswith(v, i):
                ways[i].extend((v,) + rest for rest in ways[i + len(v)][:2 - len(ways[i])])
    return ways[0]


class Fields:
    """Lazy view of the network's fields, their derivatives and the coordinates at a batch of points.

    ``points`` has shape (..., d), d the number of variables: (n, d) for most terms, (2, n, d) for
    paired points such as a periodic condition's. ``network`` maps (m, d) points to (m, fields)
    outputs. ``f.u`` and ``f["u"]`` are the field u, shape (...); ``f.u_x`` its derivative; ``f.x``
    the coordinate x; ``f.point_data`` what the point set carries besides coordinates (the outward
    ``normal`` of boundary points, say), by name. ``engine`` (from
    :func:`pinnsolve.taylor.forward_engine`) computes the fields and the derivatives it was built
    for in one pass, keyed by (field index, :func:`derivative_key`'s derivative); nested autograd
    serves anything else, and everything when it is None.
    """

    def __init__(self, points: torch.Tensor, network: Callable[[torch.Tensor], torch.Tensor], fields: list[str],
                 variables: list[str], point_data: Mapping[str, torch.Tensor] | None = None,
                 engine: Engine | None = None):
        self._fields = tuple(fields)
        self._variables = tuple(variables)
        self.point_data = dict(point_data or {})
        self._network = network
        self._points = points.detach().requires_grad_(engine is None)
        self._autograd: Fields | None = None  # what serves a derivative the engine was not asked for
        flat = self._points.reshape(-1, self._points.shape[-1])  # the network sees a flat batch
        if engine is None:
            outputs = {(i, ()): column for i, column in enumerate(network(flat).unbind(-1))}
        else:
            outputs = engine(flat)
        # the fields keep the points' layout
        self._cache: dict[tuple[str, tuple[int, ...]], torch.Tensor] = {
            (fields[i], by): value.reshape(self._points.shape[:-1]) for (i, by), value in outputs.items()}
        self._engine = engine

    def __getitem__(self, name: str) -> torch.Tensor:
        if name in self._variables:
            return self._points[..., self._variables.index(name)]
        key = derivative_key(name, self._fields, self._variables)
        if key is None:
            raise KeyError(f"unknown field, derivative or variable {name!r}; fields are "
                           f"{', '.join(self._fields)} and variables {', '.join(self._variables)}")
        return self._derivative(*key)

    def __getattr__(self, name: str) -> torch.Tensor:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(error.args[0]) from None

    def _derivative(self, field: str, by: tuple) -> torch.Tensor:
        key = (field, by)
        if key not in self._cache and self._engine is not None:
            if self._autograd is None:
                self._autograd = Fields(self._points, self._network, list(self._fields), list(self._variables))
            return self._autograd._derivative(field, by)
        if key not in self._cache and by and isinstance(by[0], tuple):  # a sum of second derivatives
            self._cache[key] = sum(self._derivative(field, part) for part in by)
        if key not in self._cache:
            lower = self._derivative(field, by[:-1])
            grads = None
            if lower.requires_grad:  # else the field does not depend on the inputs at all
                grads = torch.autograd.grad(lower.sum(), self._points, create_graph=True, allow_unused=True)[0]
            if grads is None:
                grads = torch.zeros_like(self._points)
            for i in range(len(self._variables)):  # one pass gives the derivative by every variable
                self._cache.setdefault((field, tuple(sorted(by[:-1] + (i,)))), grads[..., i])
        return self._cache[key]
