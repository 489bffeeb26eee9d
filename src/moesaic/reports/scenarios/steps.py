"""The steps of a scenario: inspect first, then the action, then prove the fix or keep watching.

Every step starts with a verb of :data:`~moesaic.reports.scenarios.actions.ACTIONS` and reads as
words: a failure code is written by its name ("inspect asset for overheating", not "... for ohe").
"""

from __future__ import annotations

from moesaic.reports.qa.table import FmeaRow
from moesaic.reports.scenarios.coding import UNCODED_FM, failure_name


def history_steps(verb: str, system: str, fm: str) -> tuple[str, ...]:
    """The steps of a plan drawn from past orders that did ``verb`` on ``system`` for failure
    mode ``fm`` (:data:`~moesaic.reports.scenarios.coding.UNCODED_FM` when none was coded)."""
    what = f"{system} for {failure_name(fm)}" if fm != UNCODED_FM else system
    steps = [f"inspect {what}"]
    if verb != "inspect":
        steps.append(f"{verb} the affected {system} part" if verb != "monitor" else f"monitor {system}")
    return (*steps, *closing_steps(verb, system))


def fmea_steps(verb: str, row: FmeaRow) -> tuple[str, ...]:
    """The steps of an FMEA row's plan: inspect its part, do its recommended action (``verb``)."""
    part = f"{row.component} ({row.sub_component})" if row.sub_component else row.component
    return (f"inspect {part}", f"{verb}: {row.action}", *closing_steps(verb, part))


def closing_steps(verb: str, what: str) -> tuple[str, ...]:
    """The step that proves a fix (a test after a replacement, repair or adjustment) or keeps
    watching (after an inspection, cleaning or lubrication); none after a test or monitoring."""
    if verb in ("replace", "repair", "adjust"):
        return (f"test {what} under load before release",)
    if verb == "inspect":
        return (f"monitor {what} until the cause is confirmed",)
    if verb in ("clean", "lubricate"):
        return (f"monitor {what} for a return of the symptom",)
    return ()
