"""Transfer: rare values and unseen combinations are a reference sample plus one of their departures."""

from __future__ import annotations

import numpy as np
import torch

from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import synthesis_conditions
from moesaic.tasks.synth.transfer import ConditionTransfer


def labelled(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Window i is constant at i (2 steps, 1 channel), with the category ids ``ids[i]``."""
    windows = np.arange(len(ids), dtype=np.float32)[:, None, None] * np.ones((1, 2, 1), dtype=np.float32)
    return windows, np.asarray(ids, dtype=np.int64)


def test_departures_are_taken_from_the_reference_windows_with_the_same_other_factors() -> None:
    # factor 0: value 1 is the reference (4 windows), value 2 is rare; factor 1: the asset
    windows, ids = labelled([[1, 1], [1, 1], [1, 2], [1, 2], [2, 2], [2, 3]])
    transfer = ConditionTransfer.fit(windows, np.ones(6, dtype=bool), ids, rare=4)
    assert transfer is not None
    assert transfer.reference.tolist() == [1, 0]  # factor 1's most frequent value is itself rare
    assert transfer.pairs() == [(0, 2)]
    # window 4 (asset 2) against windows 2 and 3 (mean 2.5); window 5 (asset 3, unmatched)
    # against all four reference windows (mean 1.5)
    np.testing.assert_allclose(transfer.departures[:, 0, 0].numpy(), [4 - 2.5, 5 - 1.5])


def test_no_transfer_without_a_frequent_reference_or_a_complete_rare_window() -> None:
    windows, ids = labelled([[1], [1], [2], [2]])
    assert ConditionTransfer.fit(windows, np.ones(4, dtype=bool), ids, rare=3) is None  # both values rare
    windows, ids = labelled([[1], [1], [1], [2]])
    complete = np.array([True, True, True, False])
    assert ConditionTransfer.fit(windows, complete, ids, rare=2) is None  # the rare window is incomplete


def test_lend_swaps_rare_ids_and_effects_draw_their_own_departures() -> None:
    windows, ids = labelled([[1], [1], [1], [2], [3], [3]])
    transfer = ConditionTransfer.fit(windows, np.ones(6, dtype=bool), ids, rare=3)
    assert transfer is not None
    asked = torch.tensor([[1], [2], [3], [0]])
    lent, rare = transfer.lend(asked, torch.tensor([[1], [2], [3]]), rare=3)
    assert lent.flatten().tolist() == [1, 1, 1, 0] and rare.flatten().tolist() == [False, True, True, False]
    effects = transfer.effects(asked, rare, seed=0)[:, 0, 0]
    assert effects[0] == 0 and effects[3] == 0 and effects[1] == 3 - 1  # the reference mean is 1
    assert float(effects[2]) in (4 - 1, 5 - 1)
    torch.testing.assert_close(transfer.effects(asked, rare, seed=0), transfer.effects(asked, rare, seed=0))


def test_an_unseen_combination_replaces_its_value_with_the_fewest_windows() -> None:
    # fault: 1 = leak, 2 = none (the reference); load: 1 = high, 2 = low (the reference)
    windows, ids = labelled([[2, 2], [2, 2], [2, 1], [2, 1], [1, 2], [1, 2]])
    windows[2:4] += 8  # none at high load: 10 and 11; leak at low load: 4 and 5
    transfer = ConditionTransfer.fit(windows, np.ones(6, dtype=bool), ids, rare=2)
    assert transfer is not None and transfer.pairs() == [(0, 1), (1, 1)]
    seen = torch.tensor([[2, 2], [2, 1], [1, 2]])
    asked = torch.tensor([[1, 1], [1, 2], [1, 0]])  # leak at high load (never seen), leak at low, leak
    lent, replaced = transfer.lend(asked, seen, rare=2)
    assert lent.tolist() == [[2, 1], [1, 2], [1, 0]]  # the tie on 2 windows goes to the first factor
    assert replaced.tolist() == [[True, False], [False, False], [False, False]]
    effect = float(transfer.effects(asked, replaced, seed=0)[0, 0, 0])
    assert effect in (4 - 0.5, 5 - 0.5)  # the leak's departure from none at low load (mean 0.5)


def test_synthesis_conditions_suite_scores_every_system_on_unseen_and_seen_combinations() -> None:
    options = {"assets": "8", "days": "90", "steps": "5"}
    rows = synthesis_conditions.run(SuiteContext(quick=True, options=options))
    by = {(r.setting.split(",")[0], r.system, r.metric): r.value for r in rows}
    systems = {"moesaic-flow", "moesaic-flow-tokens", "real_heldout", "other_regime", "normal_same_regime"}
    systems |= {"moesaic-flow-tokens-guided"}
    assert {s for _, s, _ in by} == systems
    assert {c for c, _, _ in by} == {"combination=unseen", "combination=seen"}
    assert by[("combination=unseen", "real_heldout", "signature_error")] == 0
    assert all(0 <= by[(c, s, "regime_accuracy")] <= 1 for c, s, _ in by)
