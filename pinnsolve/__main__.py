"""``python -m pinnsolve`` is the ``pinnsolve`` command."""

from pinnsolve.cli import main

main()
