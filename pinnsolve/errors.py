"""The one error type users see for bad input.

Every problem with a spec or an expression is raised as :class:`SpecError`, whose message names
the offending field path (``network.width``), says what is expected and, when the spec came from a
YAML file, the line it is on. The command line prints it as a single line and exits with status 2.
"""

from decimal import Decimal


class SpecError(ValueError):
    """Invalid user input; ``path`` is the dotted field path it refers to ('' for the whole spec),
    ``line`` and ``column`` (1-based) where in the YAML file, when known."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(path, message)
        self.path = path
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}" + ("" if self.column is None else f", column {self.column}") + ": "
        return where + (f"{self.path}: {self.message}" if self.path else self.message)


def describe(value) -> str:
    """A value as an error message quotes it: strings in quotes and clipped, other objects by type."""
    if isinstance(value, str):
        return repr(value) if len(value) < 40 else repr(value[:37] + "...")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        # Hundreds of digits would swamp the message; past 4300, repr() even refuses.
        return f"{Decimal(value):.3e}"
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def check_choice(value, path: str, choices) -> str:
    """``value`` if it is one of ``choices``, else a SpecError at ``path`` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise SpecError(path, f"expected one of: {', '.join(choices)}; got {describe(value)}")
    return value
