"""One exception type for mistakes a user can fix.

The command line prints its message on one line and exits 2, instead of a traceback wall;
library callers (notebooks) can catch it.
"""


class UserError(Exception):
    """Bad input: a missing file, a malformed line, an unknown name, an out-of-range value."""


class MissingData(UserError):
    """A task's files are not where they should be (as opposed to present but broken)."""


def where(path, line=None) -> str:
    """`file:line` prefix for messages about input files."""
    return f"{path}:{line}" if line is not None else str(path)
