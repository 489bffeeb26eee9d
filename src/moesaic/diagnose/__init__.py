"""Grounded diagnostic reports: deterministic evidence, fault type and onset, cited sentences, a verifier.

Example:
    >>> with KnowledgeBase.open("kb") as kb:
    ...     report = diagnose(kb, "P-101", "2024-02-10", "2024-02-20")
    >>> html = render(report, "html")
"""

from moesaic.diagnose.channels import ChannelModel
from moesaic.diagnose.claims import Diagnosis, Quantity, RecordCitation, Report, Sentence, SeriesCitation
from moesaic.diagnose.episodes import default_channel_model, default_classifier, default_onset_shapes
from moesaic.diagnose.evidence import Evidence, EvidenceError, gather_evidence
from moesaic.diagnose.faults import FaultClassifier
from moesaic.diagnose.report import FORMATS, diagnose, render
from moesaic.diagnose.source import EvidenceBase, MemoryBase
from moesaic.diagnose.verify import Verification, verify_report

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
    "default_channel_model",
    "default_classifier",
    "default_onset_shapes",
    "diagnose",
    "gather_evidence",
    "render",
    "verify_report",
]
