"""Run ``moesaic ask`` on every ask_real question and judge each answer by its check.

    python score.py run   --kb KB --answers ANSWERS.jsonl   # one `moesaic ask --json` per question
    python score.py judge --answers ANSWERS.jsonl           # per-question verdicts and the totals

KB is the real excavator work-order set alone, built with
``moesaic kb ingest excavator_mwo --kb KB --data DATA`` (DATA: the shared data folder).
The questions are the questions.json beside this file (written by make_gold.py). ``moesaic`` is
the one on PATH (``--moesaic`` chooses another). The scorer is tests/data/ask_fresh/score.py's.
"""

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    runpy.run_path(str(HERE.parent / "ask_fresh" / "score.py"))["main"](HERE / "questions.json", __doc__)
