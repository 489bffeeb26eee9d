"""Question answering over FMEA rows: extractive answers with row citations, or an abstention."""

from moesaic.qa.abstain import fit_threshold, template_pairs
from moesaic.qa.fmea import FmeaAnswer, FmeaAnswerer
from moesaic.qa.nuggets import nugget_present, score_nuggets
from moesaic.qa.table import FmeaRow, rows_from_documents

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
