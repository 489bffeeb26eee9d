"""Question answering over FMEA rows: extractive answers with row citations, or an abstention."""

from moesaic.reports.qa.abstain import fit_threshold, template_pairs
from moesaic.reports.qa.fmea import FmeaAnswer, FmeaAnswerer
from moesaic.reports.qa.nuggets import nugget_present, score_nuggets
from moesaic.reports.qa.table import FmeaRow, rows_from_documents

__all__ = [
    "FmeaAnswer",
    "FmeaAnswerer",
    "FmeaRow",
    "fit_threshold",
    "nugget_present",
    "rows_from_documents",
    "score_nuggets",
    "template_pairs",
]
