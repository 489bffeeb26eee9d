"""Errors shared by every learned object of moesaic, importable without torch or scikit-learn."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, incomplete, modified or of an unknown format.

    The message is one line, as a command prints it: the lines of a wrapped error (a ConfigError's
    list, torch's state-dict report) are joined.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(line.strip() for line in str(message).splitlines() if line.strip()))


class NotFittedError(ValueError, AttributeError):
    """A learned object used before ``fit`` (or ``load``); the message says which call to make.

    One class for the whole package, so ``except NotFittedError`` catches it from any task.
    """
