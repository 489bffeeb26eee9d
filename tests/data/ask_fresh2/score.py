"""Run ``moesaic ask`` on every ask_fresh2 question and judge each answer by its check.

    python score.py run   --kb KB --answers ANSWERS.jsonl   # one `moesaic ask --json` per question
    python score.py judge --answers ANSWERS.jsonl           # per-question verdicts and the totals

KB is the plant of make_gold.py's docstring (seed 91, 10 assets, 75 days, fault rate 10) ingested with
``moesaic kb ingest PLANT --kb KB`` and ``moesaic kb ingest fmea_mining_truck --kb KB``
(/tmp/askfresh2/kb); ``moesaic`` is taken from PATH. The questions are read from
questions.json beside this file.
The scorer is tests/data/ask_fresh/score.py's, run on the questions.json beside this file.
"""

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    runpy.run_path(str(HERE.parent / "ask_fresh" / "score.py"))["main"](HERE / "questions.json", __doc__)
