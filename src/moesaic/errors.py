"""Errors shared by every learned object of moesaic, importable without torch or scikit-learn."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, incomplete, modified or of an unknown format."""


class NotFittedError(ValueError, AttributeError):
    """A learned object used before ``fit`` (or ``load``); the message says which call to make.

    One class for the whole package, so ``except NotFittedError`` catches it from any task.
    """
