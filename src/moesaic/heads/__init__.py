"""Heads: task-specific layers on top of the backbone; each model owns its loss."""

from moesaic.heads.classify import ClassificationHead, FaultClassifier

__all__ = ["ClassificationHead", "FaultClassifier"]
