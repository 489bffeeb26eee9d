"""Run ``moesaic ask`` on every ask_fresh question and judge each answer by its check.

    python score.py run   --kb KB --answers ANSWERS.jsonl   # one `moesaic ask --json` per question
    python score.py judge --answers ANSWERS.jsonl           # per-question verdicts and the totals

KB is the plant of make_gold.py's docstring ingested with ``moesaic kb ingest PLANT --kb KB`` and
``moesaic kb ingest fmea_mining_truck --kb KB``; ``moesaic`` is taken from PATH.
"""

import argparse
import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pandas as pd

Q = Path(__file__).resolve().with_name("questions.json")


def run(kb: str, answers: Path, questions: Path = Q, moesaic: str = "moesaic") -> None:
    qs = json.loads(questions.read_text())
    with answers.open("w") as f:
        for q in qs:
            p = subprocess.run(
                [moesaic, "ask", "--kb", kb, q["question"], "--json"],
                capture_output=True,
                text=True,
                timeout=600,
            )
            try:
                out = json.loads(p.stdout)
            except json.JSONDecodeError:
                out = {"answer": None, "raw_stdout": p.stdout}
            rec = {
                "id": q["id"],
                "question": q["question"],
                "rc": p.returncode,
                "output": out,
                "stderr": p.stderr[-2000:],
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            print(q["id"], p.returncode, str(out.get("answer"))[:120].replace("\n", " "), flush=True)


def norm(s: str) -> str:
    s = s.lower().replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", s)


DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
ID_RE = re.compile(r"\b[A-Za-z]+[-_:]?[A-Za-z]*[-_]?\d[\w\-]*")  # WO100001, P-102, FLT-0001, ALM-000003


def numbers(text: str) -> list[float]:
    t = DATE_RE.sub(" ", text)
    t = ID_RE.sub(" ", t)
    t = re.sub(r"\b\d{1,2}:\d{2}\b", " ", t)
    return [float(x.replace(",", "")) for x in re.findall(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?", t)]


def yes_no(text: str) -> str | None:
    t = text.lower()
    neg = re.search(
        r"\bno\b(?! data)|not (?:significant|a significant|rising|increasing|trending)"
        r"|no (?:significant |monotonic )?trend"
        r"|decreas|falling|downward|stable|flat",
        t,
    )
    pos = re.search(r"\byes\b|increas|rising|upward|creeping up|going up|climbing", t)
    if pos and not neg:
        return "yes"
    if neg and not pos:
        return "no"
    if pos and neg:
        return "yes" if pos.start() < neg.start() else "no"  # the lead sentence decides
    return None


def judge_one(q: dict, out: dict) -> tuple[bool, str]:
    text = str(out.get("answer") or "")
    abst = bool(out.get("abstained"))
    check, gold = q["check"], q["gold"]
    if check == "abstain":
        return abst, "abstained" if abst else "answered"
    if abst:
        return False, "false abstention"
    if check == "number":
        nums = numbers(text)
        g = float(gold)
        if isinstance(gold, int):
            ok = any(n == g for n in nums)
        else:
            ok = any(abs(n - g) <= 0.01 * abs(g) for n in nums)
        return ok, f"numbers={nums[:12]}"
    if check == "name":
        if len(gold) <= 2:
            ok = re.search(rf"(?:rev(?:ision)?\.?\s*[:=]?\s*|\b){re.escape(gold)}\b", text) is not None
        else:
            ok = norm(gold) in norm(text)
        return ok, ""
    if check in ("yes", "no"):
        got = yes_no(text)
        return got == check, f"read as {got}"
    if check == "date":
        g = pd.Timestamp(gold)
        ds = [pd.Timestamp(d) for d in DATE_RE.findall(text)]
        ok = bool(ds) and abs(ds[0] - g) <= pd.Timedelta(hours=24)
        anyok = any(abs(d - g) <= pd.Timedelta(hours=24) for d in ds)
        return ok, f"dates={[str(d) for d in ds[:6]]} any_within_24h={anyok}"
    raise ValueError(check)


def judge(answers: Path, questions: Path = Q) -> None:
    qs = {q["id"]: q for q in json.loads(questions.read_text())}
    per_kind = defaultdict(lambda: [0, 0])
    rows = []
    for line in answers.read_text().splitlines():
        rec = json.loads(line)
        q = qs[rec["id"]]
        ok, why = judge_one(q, rec["output"])
        per_kind[q["kind"]][0] += ok
        per_kind[q["kind"]][1] += 1
        rows.append((q, rec, ok, why))
    for q, rec, ok, why in rows:
        out = rec["output"]
        print(f"== {q['id']} [{q['kind']}/{q['check']}] {'OK ' if ok else 'BAD'} gold={q['gold']!r} {why}")
        print(f"   Q: {q['question']}")
        print(f"   kind={out.get('kind')} abstained={out.get('abstained')}")
        print("   A: " + str(out.get("answer"))[:600].replace("\n", " | "))
    total = sum(v[0] for v in per_kind.values())
    print(f"\noverall {total}/{len(rows)}")
    for k, (a, n) in per_kind.items():
        print(f"  {k}: {a}/{n}")
    answerable = [r for r in rows if r[0]["check"] != "abstain"]
    fa = [r[0]["id"] for r in answerable if r[1]["output"].get("abstained")]
    print(f"false abstentions on answerable: {len(fa)}/{len(answerable)} {fa}")


def main(questions: Path = Q, description: str = __doc__) -> None:
    """The command line of this scorer, for the questions in ``questions`` (other sets reuse it)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("step", choices=("run", "judge"))
    parser.add_argument("--kb", help="the knowledge base to ask (run)")
    parser.add_argument("--answers", type=Path, required=True, help="the answers file (JSON lines)")
    parser.add_argument("--moesaic", default="moesaic", help="the moesaic command (run)")
    args = parser.parse_args()
    if args.step == "run":
        if not args.kb:
            parser.error("run needs --kb")
        run(args.kb, args.answers, questions, args.moesaic)
    else:
        judge(args.answers, questions)


if __name__ == "__main__":
    main()
