"""Reference solutions that bundled problems are validated against."""

from pinnsolve.references.burgers import burgers_cole_hopf

__all__ = ["burgers_cole_hopf"]
