"""Grounded diagnostic reports: deterministic evidence, fault type and onset, cited sentences, a verifier.

Example:
    >>> with KnowledgeBase.open("kb") as kb:
    ...     report = diagnose(kb, "P-101", "2024-02-10", "2024-02-20")
    >>> html = render(report, "html")
"""

from moesaic.reports.diagnose.channels import ChannelModel
from moesaic.reports.diagnose.claims import (
    Diagnosis,
    Quantity,
    RecordCitation,
    Report,
    Sentence,
    SeriesCitation,
)
from moesaic.reports.diagnose.episodes import default_channel_model, default_classifier, default_onset_shapes
from moesaic.reports.diagnose.evidence import Evidence, EvidenceError, gather_evidence
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.reports.diagnose.report import FORMATS, check_request, diagnose, render
from moesaic.reports.diagnose.source import EvidenceBase, MemoryBase
from moesaic.reports.diagnose.verify import Verification, verify_report

__all__ = [
    "FORMATS",
    "ChannelModel",
    "Diagnosis",
    "Evidence",
    "EvidenceBase",
    "EvidenceError",
    "FaultClassifier",
    "MemoryBase",
    "Quantity",
    "RecordCitation",
    "Report",
    "Sentence",
    "SeriesCitation",
    "Verification",
    "check_request",
    "default_channel_model",
    "default_classifier",
    "default_onset_shapes",
    "diagnose",
    "gather_evidence",
    "render",
    "verify_report",
]
