"""The steps and title of a scenario: inspect first, then the action, then prove the fix or keep watching.

Steps read as words: a failure code is written by its name ("inspect asset for overheating", not
"... for ohe"). Every step starts with a verb of :data:`~moesaic.reports.scenarios.actions.ACTIONS`,
except an FMEA row's recommended action, which is an instruction of its own and is written as it
is ("Install online vibration monitoring", not "replace: Install online vibration monitoring").
A title names the plan as an engineer would: "replace DE bearing (Bearing wear / spalling)".
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
    """The steps of an FMEA row's plan: inspect its part, do its recommended action as written
    (``verb`` is the action it asks for: :func:`~moesaic.reports.scenarios.actions.instruction_verb`)."""
    part = f"{row.component} ({row.sub_component})" if row.sub_component else row.component
    action = (row.action.strip(),) if row.action.strip() else ()
    return (f"inspect {part}", *action, *closing_steps(verb, part))


def history_title(verb: str, system: str, fm: str, row: FmeaRow | None) -> str:
    """The title of a plan drawn from past orders: the verb, the part (the matching FMEA row's,
    else the orders' system) and the failure mode ("replace DE bearing (Bearing wear / spalling)")."""
    if row is not None:
        return f"{verb} {row.sub_component or row.component} ({row.failure_mode})"
    part = "the affected part" if system == "asset" else f"the affected {system} part"
    what = "no failure mode coded" if fm == UNCODED_FM else failure_name(fm)
    return f"{verb} {part} ({what})"


def fmea_title(row: FmeaRow) -> str:
    """The title of an FMEA row's plan: its recommended action as written, then the part and the
    failure mode it addresses ("Install online vibration monitoring (DE bearing: Bearing wear /
    spalling)"): the action names its own object, which need not be the row's part."""
    part = row.sub_component or row.component
    return f"{row.action.strip() or f'inspect {part}'} ({part}: {row.failure_mode})"


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
