"""Reference solutions that bundled problems are validated against, and references read from files."""

from pinnsolve.references.allen_cahn import allen_cahn
from pinnsolve.references.burgers import burgers_cole_hopf
from pinnsolve.references.grid_file import GridReference
from pinnsolve.references.schrodinger import schrodinger

__all__ = ["GridReference", "allen_cahn", "burgers_cole_hopf", "schrodinger"]
