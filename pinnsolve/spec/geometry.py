"""The ``geometry`` section of a spec -> a :class:`~pinnsolve.domain.Domain` over a shape.

``geometry: {variables: [x, y], <shape>}`` where a shape is one of::

    box: {min: [..], max: [..], name: plate}        disk: {center: [x, y], radius: r, name: hole}
    ball: {center: [..], radius: r, name: ..}       polygon: {vertices: [[x, y], ..], edges: [..], name: ..}
    union: [shape, shape, ..]   intersection: [shape, ..]   difference: [shape, minus, minus, ..]
"""

from typing import Any

from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError, check_choice
from pinnsolve.geometry import Ball, Box, Difference, Intersection, Polygon, Shape, Union
from pinnsolve.spec.values import _list, _mapping, _number, _string

PRIMITIVES = {"box": ("min", "max", "name"), "disk": ("center", "radius", "name"), "ball": ("center", "radius", "name"),
              "polygon": ("vertices", "edges", "name")}
OPERATIONS = {"union": Union, "intersection": Intersection, "difference": Difference}
SHAPES = tuple(PRIMITIVES) + tuple(OPERATIONS)


def _geometry_domain(geometry: Any, intervals: dict[str, tuple[float, float]]) -> Domain:
    raw = _mapping(geometry, "geometry", ("variables",) + SHAPES, required=("variables",))
    variables = [_string(v, f"geometry.variables[{i}]") for i, v in enumerate(_list(raw["variables"], "geometry.variables"))]
    for i, name in enumerate(variables):
        if name in intervals:
            raise SpecError(f"geometry.variables[{i}]", f"{name!r} is also declared in variables: declare it in one place")
    kinds = [key for key in raw if key != "variables"]
    if len(kinds) != 1:
        raise SpecError("geometry", f"give exactly one shape ({', '.join(SHAPES)}), got {len(kinds)}")
    return Domain(_shape({kinds[0]: raw[kinds[0]]}, "geometry"), variables, **intervals)


def _shape(value: Any, path: str) -> Shape:
    raw = _mapping(value, path)
    if len(raw) != 1:
        raise SpecError(path, f"expected one shape as a mapping such as {{disk: {{center: [0, 0], radius: 1}}}}, "
                              f"got {len(raw)} keys")
    (kind, options), = raw.items()
    kind = check_choice(kind, path, SHAPES)
    path = f"{path}.{kind}"
    if kind in OPERATIONS:
        shapes = [_shape(s, f"{path}[{i}]") for i, s in enumerate(_list(options, path))]
        return _built(lambda: OPERATIONS[kind](*shapes), path)
    options = _mapping(options, path, PRIMITIVES[kind], required=tuple(k for k in PRIMITIVES[kind] if k not in ("name", "edges")))
    name = _string(options["name"], f"{path}.name") if "name" in options else None
    if kind == "box":
        corners = [_numbers(options[key], f"{path}.{key}") for key in ("min", "max")]
        return _built(lambda: Box(*corners, name=name), path)
    if kind == "polygon":
        vertices = [_numbers(v, f"{path}.vertices[{i}]") for i, v in enumerate(_list(options["vertices"], f"{path}.vertices"))]
        edges = ([_string(e, f"{path}.edges[{i}]") for i, e in enumerate(_list(options["edges"], f"{path}.edges"))]
                 if "edges" in options else None)
        return _built(lambda: Polygon(vertices, name=name, edges=edges), path)
    center = _numbers(options["center"], f"{path}.center")
    if kind == "disk" and len(center) != 2:
        raise SpecError(f"{path}.center", "a disk's center is a point [x, y] of the plane (use ball in other dimensions)")
    radius = _number(options["radius"], f"{path}.radius", positive=True)
    return _built(lambda: Ball(center, radius, name=name or kind), path)


def _numbers(value: Any, path: str) -> list[float]:
    return [_number(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path))]


def _built(make, path: str) -> Shape:
    try:
        return make()
    except ValueError as error:
        raise SpecError(path, str(error)) from None
