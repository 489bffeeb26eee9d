"""Maintenance scenarios proposed for a situation, from the history and the FMEA of a knowledge base.

A situation (an asset and a text: a new work order, or what happened in a time window) gets
candidate scenarios from three places:

1. **Similar past work orders.** ``kb.search`` over the work orders of the asset and of the
   assets of its type (every asset when its type is unknown) returns the nearest ones; those that
   share enough of the situation's words (:mod:`~moesaic.reports.scenarios.similarity`) vote, by
   that similarity, for the scenario key ``"<action>:<failure mode>"`` of their coding
   (:mod:`moesaic.reports.scenarios.coding`: the expert's ``Action``/``FM``, or a user's
   ``failure_code`` and the verbs of the text). What was done after similar symptoms on similar
   assets is what is proposed; when no past order is similar enough, nothing is.
2. **FMEA rows.** Rows sharing words with the situation propose their recommended action for their
   failure mode, and give every scenario its risk if deferred (severity, occurrence). Only rows
   that speak of the situation's asset count (:mod:`~moesaic.reports.scenarios.scope`): a pump's
   seal FMEA says nothing about an excavator's hose.
3. **The situation itself.** The action verbs and failure-mode words of its text are features of
   each candidate (does the text already say "replace", "leak"?), which the ranker weighs.

Each :class:`~moesaic.reports.scenarios.scenario.Scenario` carries its features;
:mod:`moesaic.reports.scenarios.ranker` orders them.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.reports.qa.table import FmeaRow, terms
from moesaic.reports.scenarios.actions import instruction_verb, text_verbs
from moesaic.reports.scenarios.coding import (
    COST_FIELDS,
    DURATION_FIELDS,
    UNCODED_FM,
    describe_coding,
    is_preventive,
    is_routine_check,
    median_figure,
    read_coding,
)

# Read from here by older callers: the vocabulary of codes lives in coding.py.
from moesaic.reports.scenarios.coding import action_verb as action_verb
from moesaic.reports.scenarios.coding import failure_mode as failure_mode
from moesaic.reports.scenarios.coding import scenario_key as scenario_key
from moesaic.reports.scenarios.figures import done_before, fmea_support, plan_figures
from moesaic.reports.scenarios.scenario import Citation, Scenario, Situation
from moesaic.reports.scenarios.scope import FmeaScope, fmea_applies
from moesaic.reports.scenarios.sheet import SheetWords
from moesaic.reports.scenarios.similarity import (
    OrderSimilarity,
    content_words,
    shorthand_tokens,
)
from moesaic.reports.scenarios.steps import fmea_steps, fmea_title, history_steps, history_title

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateConfig:
    """How many neighbours vote and which candidates are kept.

    Attributes:
        neighbours: past work orders retrieved per situation.
        max_candidates: scenarios kept per situation, the strongest vote first.
        fmea_rows: FMEA rows proposing their own action per situation.
        min_similarity: the share of the situation's word weight a past order must share to vote
            (:mod:`~moesaic.reports.scenarios.similarity`), in [0, 1]; an order must share a word
            in any case. 0.05 keeps out orders that share only words nearly every order uses;
            chosen on the development split of suite ``scenarios`` (inside the past), where 0 to
            0.05 keep the same neighbours and 0.1 or more lose right answers.
        precedent_similarity: the share of the situation's word weight a corrective order of its
            asset must share for the FMEA rows it names to be proposed, in [0, 1]: half, so that
            "monthly round chk temps" does not borrow a bearing alarm's row through "temp".
    """

    neighbours: int = 30
    max_candidates: int = 10
    fmea_rows: int = 2
    min_similarity: float = 0.05
    precedent_similarity: float = 0.5

    def __post_init__(self) -> None:
        for name in ("neighbours", "max_candidates"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if self.fmea_rows < 0:
            raise ValueError(f"`fmea_rows` must be >= 0, got {self.fmea_rows}")
        for name in ("min_similarity", "precedent_similarity"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"`{name}` must be in [0, 1], got {getattr(self, name)}")


class Neighbour(NamedTuple):
    document: Document
    score: float  # the retrieval score
    rank: int  # 0-based, among the neighbours kept
    similarity: float  # the share of the situation's word weight it shares, in [0, 1]


class ScenarioGenerator:
    """Candidate scenarios from a history of work orders and FMEA rows.

    Args:
        work_orders: past work orders (``Document(kind="work_order")``), ids as the base's keys,
            coded as :func:`moesaic.reports.scenarios.coding.read_coding` reads them.
        fmea: FMEA rows (may be empty: risks are then unknown).
        search: ``search(text, k) -> [(record id, score)]`` over the work orders, best first.
        config: see :class:`CandidateConfig`.
        asset_types: asset key -> asset type (``""`` when unknown). A situation's asset learns
            from its own orders and those of assets of its type; when its type is unknown (or no
            types are given), from every asset of the base.
        fmea_scopes: FMEA row id -> its :class:`FmeaScope`; a situation only uses the rows that
            :func:`~moesaic.reports.scenarios.scope.fmea_applies` to its asset. None: every
            row applies.
        asset_sources: asset key -> the source it was ingested from (default: the key's prefix
            before ``:``).
    """

    def __init__(
        self,
        *,
        work_orders: Sequence[Document],
        fmea: Sequence[FmeaRow],
        search: Callable[[str, int], Sequence[tuple[str, float]]],
        config: CandidateConfig | None = None,
        asset_types: Mapping[str, str] | None = None,
        fmea_scopes: Mapping[str, FmeaScope] | None = None,
        asset_sources: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config or CandidateConfig()
        self._orders = {d.doc_id: d for d in work_orders}
        self._similarity = OrderSimilarity({d.doc_id: d.text for d in work_orders})
        self._codings = {d.doc_id: read_coding(d) for d in work_orders}
        self._routine = {d.doc_id for d in work_orders if is_routine_check(d)}
        self._preventive = {d.doc_id for d in work_orders if is_preventive(d)}
        self._types = dict(asset_types or {})
        self._fmea = tuple(fmea)
        self._sheet = SheetWords(fmea)
        self._fmea_scopes = None if fmea_scopes is None else dict(fmea_scopes)
        self._sources = dict(asset_sources or {})
        self._search = search
        counts = Counter(c.key for c in self._codings.values())
        total = sum(counts.values()) or 1
        self._prior = {k: n / total for k, n in counts.items()}

    def propose(self, situation: Situation) -> list[Scenario]:
        """Candidate scenarios for ``situation`` (unranked: the strongest neighbour vote first)."""
        neighbours = self.similar_orders(situation.text, asset_id=situation.asset_id)
        fmea = self._fmea_of(situation.asset_id)
        words = set(terms(_NEGATED.sub(" ", situation.text)))  # "checked seal, no leak" says no leak
        verbs = text_verbs(situation.text)
        # routine checks vote for nothing, yet stay the nearest orders an FMEA plan cites
        voters = [n for n in neighbours if n.document.doc_id not in self._routine]
        groups: dict[str, list[Neighbour]] = defaultdict(list)
        for n in voters:
            groups[self._codings[n.document.doc_id].key].append(n)
        scenarios = []
        for key, members in sorted(groups.items(), key=lambda kv: -sum(n.similarity for n in kv[1])):
            if len(members) < 2:
                continue  # one past order is an anecdote, and a scenario cites two records
            scenarios.append(self._from_history(situation, key, members, voters, words, verbs, fmea))
        scenarios = scenarios[: self.config.max_candidates]
        # an FMEA row that already backs a history scenario with the same verb is not proposed again
        rows = {self._fmea[i].row_id for i in fmea}
        backed = {
            f"{s.key.split(':', 1)[0]}:{c.record_id}"
            for s in scenarios
            for c in s.citations
            if c.record_id in rows
        }
        # an FMEA row needs no similar order, only a second record to cite: the nearest past order
        # (a window's situation whose only similar order is its own, left out of the history)
        nearest = neighbours or self.nearest_orders(situation.text, asset_id=situation.asset_id)[:1]
        scenarios += self._from_fmea(
            situation, words, verbs, neighbours, nearest, {s.key for s in scenarios} | backed, fmea
        )
        return scenarios

    def _fmea_of(self, asset_id: str) -> list[int]:
        """Indices of the FMEA rows that speak of ``asset_id``."""
        if self._fmea_scopes is None:
            return list(range(len(self._fmea)))
        source = self._sources.get(asset_id, asset_id.partition(":")[0])
        asset_type = self._types.get(asset_id, "")
        return [
            i
            for i, row in enumerate(self._fmea)
            if (scope := self._fmea_scopes.get(row.row_id)) is not None
            and fmea_applies(scope, source, asset_type, asset_id)
        ]

    def peer_orders(self, asset_id: str) -> int:
        """How many past orders ``asset_id`` learns from: its own and those of assets of its type."""
        return sum(self._is_peer(d, asset_id) for d in self._orders.values())

    def similar_orders(self, text: str, *, asset_id: str | None = None) -> list[Neighbour]:
        """The past orders similar to ``text`` (of ``asset_id`` and assets of its type when
        given), best retrieved first: those sharing a word and at least ``min_similarity`` of its
        word weight. Retrieval returns the nearest orders even for a text that names nothing in
        the history, and those are not similar orders."""
        least = self.config.min_similarity
        kept = [
            n
            for n in self.nearest_orders(text, asset_id=asset_id)
            if n.similarity > 0 and n.similarity >= least
        ]
        return [n._replace(rank=i) for i, n in enumerate(kept[: self.config.neighbours])]

    def nearest_orders(self, text: str, *, asset_id: str | None = None) -> list[Neighbour]:
        """Every past order retrieved for ``text`` (of ``asset_id`` and its peers), best first,
        however little it shares with it."""
        words = content_words(text)
        found: list[Neighbour] = []
        for record_id, score in self._search(text, self.config.neighbours):
            document = self._orders.get(record_id)
            if document is not None and (asset_id is None or self._is_peer(document, asset_id)):
                found.append(
                    Neighbour(document, float(score), len(found), self._similarity(words, record_id))
                )
        return found

    def _is_peer(self, order: Document, asset_id: str) -> bool:
        asset_type = self._types.get(asset_id, "")
        return order.asset_id == asset_id or not asset_type or self._types.get(order.asset_id) == asset_type

    def describe_peers(self, asset_id: str, *, others_only: bool = False) -> str:
        """The assets ``asset_id`` learns from, in words (``"the other pump assets"``)."""
        asset_type = self._types.get(asset_id, "")
        others = f"the other {asset_type} assets" if asset_type else "the other assets of the base"
        return others if others_only else f"{asset_id} and {others}"

    def _from_history(
        self,
        situation: Situation,
        key: str,
        members: list[Neighbour],
        neighbours: list[Neighbour],
        words: set[str],
        verbs: set[str],
        fmea: list[int],
    ) -> Scenario:
        verb, fm = key.split(":", 1)
        total = sum(n.similarity for n in neighbours) or 1.0
        # the row's part may be named by the situation or by the orders that did the work
        done = words | {t for n in members for t in terms(n.document.text)}
        row = self._sheet.matching(fm, done, fmea) if fm != UNCODED_FM else None
        systems = Counter(str(n.document.fields.get("MajorSystem", "")) or "asset" for n in members)
        system = systems.most_common(1)[0][0].replace("_", " / ")
        citations = [
            Citation("documents", n.document.doc_id, f"similar past order: {n.document.text!r}")
            for n in members[:3]
        ]
        if row is not None:
            citations.append(Citation("documents", row.row_id, f"FMEA: {row.component} {row.failure_mode}"))
        same_asset = sum(n.similarity for n in members if n.document.asset_id == situation.asset_id)
        features = {
            "vote": sum(n.similarity for n in members) / total,
            "rank_vote": sum(1.0 / (1 + n.rank) for n in members)
            / sum(1.0 / (1 + i) for i in range(len(members) + 1)),
            "same_asset": same_asset / total,
            "prior": math.log(self._prior.get(key, 0.0) + 1e-4) / -math.log(1e-4) + 1.0,
            "verb_in_text": float(verb in verbs),
            "fm_in_text": float(bool(set(terms(fm)) & words)),
            "fmea": 0.0 if row is None else 1.0,
            # the share of the vote cast by the maintenance plan's calendar (a PM greasing): no
            # answer to a fault, so ten monthly rounds do not outvote one corrective order
            "routine": sum(n.similarity for n in members if n.document.doc_id in self._preventive)
            / (sum(n.similarity for n in members) or 1.0),
            f"verb={verb}": 1.0,
            f"fm={fm}": 1.0,
            f"key={key}": 1.0,
        }
        downtime = median_figure((n.document for n in members), DURATION_FIELDS)
        cost = median_figure((n.document for n in members), COST_FIELDS)
        own = sum(n.document.asset_id == situation.asset_id for n in members)
        where = (
            f"all on {situation.asset_id}"
            if own == len(members)
            else f"{own} on {situation.asset_id}, {len(members) - own} on "
            f"{self.describe_peers(situation.asset_id, others_only=True)}"
        )
        reason = (
            f"{len(members)} of the {len(neighbours)} similar past orders ({where}) "
            f"{describe_coding(self._codings[members[0].document.doc_id])}"
            f"{'' if system == 'asset' else f' ({system})'}, e.g. {members[0].document.text!r}"
        )
        if downtime.fields:
            said = "median" if downtime.spread is None else "range (unlike jobs: no median)"
            reason += f"; downtime is the {said} of their {downtime.fields}"
        if cost.spread is not None:
            reason += "; their costs are too unlike for a median, the range is given"
        return Scenario(
            scenario_id=_scenario_id(situation, key),
            key=key,
            failure_mode=fm,
            steps=history_steps(verb, system, fm),
            title=history_title(verb, system, fm, row),
            reason=reason,
            downtime_h=downtime.value,
            cost=cost.value,
            downtime_range=downtime.spread,
            cost_range=cost.spread,
            severity=None if row is None else row.severity,
            occurrence=None if row is None else row.occurrence,
            citations=tuple(citations),
            features=features,
        )

    def _from_fmea(
        self,
        situation: Situation,
        words: set[str],
        verbs: set[str],
        similar: list[Neighbour],
        neighbours: list[Neighbour],
        taken: set[str],
        fmea: list[int],
    ) -> list[Scenario]:
        """Plans of the FMEA rows sharing words with the situation; ``similar`` are the past orders
        similar to it, ``neighbours`` those or else the nearest one (none: no plan)."""
        if not self.config.fmea_rows or not neighbours:
            return []
        tokens = shorthand_tokens(_NEGATED.sub(" ", situation.text))  # "brg" writes bearing
        overlaps: list[tuple[int, int, Neighbour | None]] = [
            (n, i, None) for n, i in self._sheet.overlaps(words, tokens, fmea)
        ]
        overlaps += self._named_by_precedents(situation, similar, fmea, {i for _, i, _ in overlaps})
        unseen = (
            f"; no similar past order of {self.describe_peers(situation.asset_id)} names its part or failure"
        )
        others = [self._fmea[i] for i in fmea]
        # the window's orders (not in the history), then the past orders of the asset and its peers
        own = {
            d.doc_id: d for d in situation.orders if d.doc_id not in self._orders and not is_routine_check(d)
        }
        past = [
            d
            for d in self._orders.values()
            if self._is_peer(d, situation.asset_id) and d.doc_id not in self._routine
        ]
        scenarios = []
        for overlap, index, precedent in overlaps[: self.config.fmea_rows]:
            row = self._fmea[index]
            # "Replace seal kit; check flush" is a replacement, "Install online vibration monitoring" is not
            verb = instruction_verb(row.action)
            key = f"{verb}:{row.failure_mode}"
            if key in taken or f"{verb}:{row.row_id}" in taken:
                continue
            taken.add(key)
            support = fmea_support(
                row,
                others,
                similar=[n.document for n in similar],
                own=situation.orders,
                readings=situation.readings,
                nearest=(neighbours[0].document, neighbours[0].similarity),
            )
            citations: tuple[Citation, ...] = (
                Citation("documents", row.row_id, f"FMEA recommended action: {row.action}"),
                support,
            )
            features = {
                "fmea": 1.0,
                "fmea_overlap": 0.0 if precedent else overlap / max(len(words), 1),
                "fmea_precedent": precedent.similarity if precedent else 0.0,
                "verb_in_text": float(verb in verbs),
                f"verb={verb}": 1.0,
            }
            done, unused = done_before(verb, row, others, own=own.values(), past=past, codings=self._codings)
            figures = plan_figures(done, verb, history=self._orders, cited=support.record_id, unused=unused)
            citations += figures.citations
            scenarios.append(
                Scenario(
                    scenario_id=_scenario_id(situation, key),
                    key=key,
                    failure_mode=row.failure_mode,
                    steps=fmea_steps(verb, row),
                    title=fmea_title(row),
                    reason=(
                        f"FMEA row {row.row_id} ({row.component}: {row.failure_mode}) "
                        + (
                            f"shares {overlap} words with the situation"
                            if precedent is None
                            else f"is named by {precedent.document.doc_id}, a similar corrective order "
                            f"of {situation.asset_id}: {precedent.document.text!r}"
                        )
                        + figures.said
                        + ("" if support.why.startswith("similar") else unseen)
                    ),
                    downtime_h=figures.downtime.value,
                    cost=figures.cost.value,
                    downtime_range=figures.downtime.spread,
                    cost_range=figures.cost.spread,
                    severity=row.severity,
                    occurrence=row.occurrence,
                    citations=citations,
                    features=features,
                )
            )
        return scenarios

    def _named_by_precedents(
        self, situation: Situation, similar: list[Neighbour], fmea: list[int], named: set[int]
    ) -> list[tuple[int, int, Neighbour]]:
        """``(shared words, index, order)`` of the FMEA rows (of ``fmea``, not in ``named``) that
        the corrective orders of the situation's own asset sharing ``precedent_similarity`` of
        its word weight name, the most similar order
        first: a pump's "low flow" names no part, but its last "low flow, susp impeller wear"
        names the impeller's row. Preventive orders name the parts their round visits, not a
        fault."""
        found = []
        precedents = [
            n
            for n in sorted(similar, key=lambda n: -n.similarity)
            if n.document.asset_id == situation.asset_id
            and n.document.doc_id not in self._preventive
            and n.similarity >= self.config.precedent_similarity
        ]
        for n in precedents:
            text = _NEGATED.sub(" ", n.document.text)
            for shared, index in self._sheet.overlaps(set(terms(text)), shorthand_tokens(text), fmea):
                if index not in named:
                    named.add(index)
                    found.append((shared, index, n))
        return found


_NEGATED = re.compile(
    r"\b(?:no|not|nil|without|zero)\s+(?:sign of |signs of |evidence of )?[\w-]+", re.IGNORECASE
)
"""A word a technician rules out ("no leak", "not noisy"): no evidence of what it names."""


def _scenario_id(situation: Situation, key: str) -> str:
    return hashlib.sha256(f"{situation.situation_id}\n{key}".encode()).hexdigest()[:12]
