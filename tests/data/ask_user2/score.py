"""Run ``moesaic ask`` on every ask_user2 question and judge each answer by its check.

    python score.py run   --kb KB --answers ANSWERS.jsonl   # one `moesaic ask --json` per question
    python score.py judge --answers ANSWERS.jsonl           # per-question verdicts and the totals

KB is the folder of make_data.py, built with ``python make_data.py DIR && moesaic kb ingest DIR --kb KB``.
The questions are the questions.json beside this file (written by make_gold.py). ``moesaic`` is
the one on PATH (``--moesaic`` chooses another). The scorer is tests/data/ask_fresh/score.py's.
"""

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    runpy.run_path(str(HERE.parent / "ask_fresh" / "score.py"))["main"](HERE / "questions.json", __doc__)
