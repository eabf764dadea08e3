"""The one error type users see for bad input.

Every problem with a spec or an expression is raised as :class:`SpecError`, whose message names
the offending field path (``network.width``) and says what is expected. The command line prints it
as a single line and exits with status 2.
"""


class SpecError(ValueError):
    """Invalid user input; ``path`` is the dotted field path it refers to ('' for the whole spec)."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)
