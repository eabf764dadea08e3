"""The figures of docs/geometry.md: each shape with its interior points, its boundary points coloured
by boundary part, and a few outward unit normals.

    python3 docs/figures/geometry_figures.py

writes docs/figures/geometry/<shape>.png. Points come from pinnsolve's sampler (scrambled Sobol',
seed 0) through the routines training uses: interior points by rejection from the bounding box,
boundary points spread by length over the parts.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pinnsolve.geometry import Ball, Box, Difference, Intersection, Polygon, Union  # noqa: E402
from pinnsolve.sampling import Sampler  # noqa: E402

FOLDER = Path(__file__).resolve().parent / "geometry"
INTERIOR, BOUNDARY, ARROWS = 600, 360, 24

# The L-shaped room of problems/l_shape.yaml and the plate with a hole of problems/plate_hole.yaml.
L_SHAPE = [[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]]
L_EDGES = ["bottom", "right", "notch_bottom", "notch_side", "top", "left"]

SHAPES = {
    "box": ("Box([0, 0], [2, 1])", Box([0, 0], [2, 1])),
    "disk": ("Ball([0, 0], 1)", Ball([0, 0], 1)),
    "polygon": ("Polygon(L-shape, name=\"room\", edges=[...])", Polygon(L_SHAPE, name="room", edges=L_EDGES)),
    "union": ("Union(Box(bar), Ball(bulb))",
              Union(Box([-1.5, -0.4], [0.5, 0.4], name="bar"), Ball([0.5, 0], 0.8, name="bulb"))),
    "intersection": ("Intersection(Ball(left), Ball(right))",
                     Intersection(Ball([0, 0], 1, name="left"), Ball([1, 0], 1, name="right"))),
    "difference": ("Difference(Box(plate), Ball(hole))",
                   Difference(Box([-1, -1], [1, 1], name="plate"), Ball([0, 0], 0.4, name="hole"))),
    "nested": ("Difference(Union(Ball(left), Ball(right)), Polygon(cut))",
               Difference(Union(Ball([0, 0], 1, name="left"), Ball([1.5, 0], 1, name="right")),
                          Polygon([[0.45, -0.35], [1.05, -0.35], [0.75, 0.35]], name="cut"))),
}


def draw_shape(title: str, shape, path: Path) -> None:
    draw = Sampler("sobol", 0).unit
    interior = shape.sample_interior(draw, INTERIOR)
    boundary = shape.sample_boundary(draw, BOUNDARY)
    size = float(np.max(shape.upper - shape.lower))

    figure, ax = plt.subplots(figsize=(4, 4))
    ax.plot(*(shape.lower + np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]) * (shape.upper - shape.lower)).T,
            ":", color="0.6", lw=0.8)  # the bounding box
    ax.scatter(*interior.T, s=1.5, color="0.55", linewidths=0, label="interior")
    colours = plt.get_cmap("tab10").colors
    for k, part in enumerate(p for p in shape.parts if np.any(boundary.parts == p)):
        on = boundary.parts == part
        ax.scatter(*boundary.points[on].T, s=5, color=colours[k % len(colours)], linewidths=0, label=part)
    # A few outward normals: one on each part, then each next one at the boundary point farthest
    # from those already taken, which spreads them over the whole boundary.
    picks = [int(np.flatnonzero(boundary.parts == part)[0]) for part in shape.parts if np.any(boundary.parts == part)]
    gap = np.min([np.linalg.norm(boundary.points - boundary.points[k], axis=1) for k in picks], axis=0)
    while len(picks) < ARROWS:
        picks.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.linalg.norm(boundary.points - boundary.points[picks[-1]], axis=1))
    ax.quiver(*boundary.points[picks].T, *(0.08 * size * boundary.normals[picks]).T, angles="xy",
              scale_units="xy", scale=1, width=0.006, color="k")
    margin = 0.16 * size
    ax.set_xlim(shape.lower[0] - margin, shape.upper[0] + margin)
    ax.set_ylim(shape.lower[1] - margin, shape.upper[1] + margin)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=4, fontsize=7, markerscale=2.5,
              handletextpad=0.2, columnspacing=0.8, frameon=False)
    figure.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(figure)


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, (title, shape) in SHAPES.items():
        path = FOLDER / f"{name}.png"
        draw_shape(title, shape, path)
        print(f"{path.relative_to(FOLDER.parent.parent.parent)}: {path.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
