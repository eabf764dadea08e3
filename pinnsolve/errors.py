"""The one error type users see for bad input.

Every problem with a spec or an expression is raised as :class:`SpecError`, whose message names
the offending field path (``network.width``), says what is expected and, when the spec came from a
YAML file, the line it is on. The command line prints it as a single line and exits with status 2.
"""


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
