"""Reference solutions that bundled problems are validated against, and references read from files."""

from pinnsolve.references.burgers import burgers_cole_hopf
from pinnsolve.references.grid_file import GridReference

__all__ = ["GridReference", "burgers_cole_hopf"]
