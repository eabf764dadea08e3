"""Geometry: the shapes spatial variables live on, and shapes built from them.

:class:`Shape` is the protocol (inside test, signed distance, bounding box, interior and boundary
points with outward normals and part names); :class:`Box`, :class:`Ball` and :class:`Polygon` are
the primitives, :class:`Union`, :class:`Intersection` and :class:`Difference` combine them. A
:class:`~pinnsolve.domain.Domain` binds a shape to variables and adds intervals (time) as a product.
"""

from pinnsolve.geometry.operations import Difference, Intersection, Union
from pinnsolve.geometry.primitives import Ball, Box, Polygon
from pinnsolve.geometry.shape import WHOLE_BOUNDARY, BoundaryPoints, Shape

__all__ = ["WHOLE_BOUNDARY", "Ball", "BoundaryPoints", "Box", "Difference", "Intersection", "Polygon", "Shape", "Union"]
