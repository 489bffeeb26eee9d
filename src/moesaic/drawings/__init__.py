"""Technical drawings: read the sheet, summarise it, check it against rules and a bill of materials.

The public entry points are :func:`summarize_drawing` and :func:`check_drawing`; both return
objects with ``to_json()``. OCR engines are optional: ``pip install 'moesaic[drawings]'`` for
rapidocr, the Debian packages ``tesseract-ocr`` (second engine) and ``poppler-utils`` (PDF).
"""

from moesaic.drawings.check import CheckResult, Finding, check_drawing
from moesaic.drawings.dimensions import Callout, parse_callout
from moesaic.drawings.ocr import MissingEngineError
from moesaic.drawings.rules import CheckRules
from moesaic.drawings.summary import DrawingSummary, summarize_drawing

__all__ = [
    "Callout",
    "CheckResult",
    "CheckRules",
    "DrawingSummary",
    "Finding",
    "MissingEngineError",
    "check_drawing",
    "parse_callout",
    "summarize_drawing",
]
