"""Question answering over a knowledge base: ``moesaic ask --kb DIR "QUESTION"``.

A question is routed (:mod:`~moesaic.reports.ask.router`) to the FMEA look-up, a structured
query over the records (counts, lists, aggregates, "most often after ..."), a drawing look-up,
a computation on a series (trend, onset, statistic), or retrieval with an abstention threshold.
Every answer cites the records or series stretches it rests on, or abstains saying what is missing.
"""

from moesaic.reports.ask.answer import KbAnswer, RecordCitation, SeriesCitation
from moesaic.reports.ask.answerer import KbAnswerer

__all__ = ["KbAnswer", "KbAnswerer", "RecordCitation", "SeriesCitation"]
