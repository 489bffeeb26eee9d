"""The sentences a report takes from records rather than readings: the FMEA rows the window's own
work orders name (causes), and the history section (episodes of the same fault elsewhere, the
asset's work orders, its drawings). Split from :mod:`moesaic.reports.diagnose.compose`, whose
:class:`Composer` they add to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moesaic.reports.diagnose.claims import Quote, RecordCitation
from moesaic.reports.diagnose.forms import fill
from moesaic.reports.diagnose.history import DrawingOnFile, fmea_field, names_fault
from moesaic.reports.diagnose.named import NamedRow
from moesaic.reports.diagnose.wording import short_id, spoken_label

if TYPE_CHECKING:
    from moesaic.reports.diagnose.compose import Composer


def named_rows(c: Composer) -> None:
    """The FMEA rows the window's own work orders name (:mod:`moesaic.reports.diagnose.named`)."""
    for named in c.ev.named:
        _add_named(c, "causes", "named_fmea", named)


def named_in_summary(c: Composer, *, fault: bool) -> None:
    """A second summary sentence when the window's own work orders name an FMEA row: the strongest
    one, as another failure than the ``fault`` the readings suggest; when they suggest none, as a
    failure they do not show clearly (a fault type the model knows) or one it may not know. A
    water station's dosing pump was "a probable sensor stuck (confidence 0.99)" while its order
    said "diaphragm ruptured"."""
    if not c.ev.named:
        return
    first = c.ev.named[0]
    known = [label for label, _ in (c.ev.fault.ranked if c.ev.fault else ()) if names_fault(first.row, label)]
    form = "named_other" if fault else ("named_unseen" if known else "named_unknown")
    _add_named(c, "summary", form, first)


def _add_named(c: Composer, section: str, form: str, named: NamedRow) -> None:
    row, orders = named.row, named.orders
    mode = fmea_field(row, "failure_mode")
    ids = ", ".join(short_id(o.doc_id) for o in orders)
    several = len(orders) > 1
    c.add(
        section,
        fill(
            form,
            orders=f"{'orders' if several else 'order'} {ids}",
            verb="name" if several else "names",
            doc=short_id(row.doc_id),
            mode=mode,
            order_word="orders" if several else "order",
            weigh="are" if several else "is",
        ),
        citations=(
            RecordCitation("documents", row.doc_id),
            *(RecordCitation("documents", o.doc_id) for o in orders),
        ),
        quotes=(Quote("documents", row.doc_id, mode),) if mode else (),
    )


def history(c: Composer) -> None:
    """The history section: episodes of the same fault, the asset's work orders and its drawings."""
    ev = c.ev
    for episode in ev.episodes:
        c.add(
            "history",
            fill(
                "episode",
                event=short_id(episode.event_id),
                other_asset=short_id(episode.asset_id),
                episode_label=spoken_label(episode.label),
            ),
            citations=(RecordCitation("events", episode.event_id),),
        )
    for wo in ev.work_orders:
        c.add(
            "history",
            fill("work_order", doc=short_id(wo.doc_id), text=wo.text),
            citations=(RecordCitation("documents", wo.doc_id),),
            quotes=(Quote("documents", wo.doc_id, wo.text),),
        )
    for on_file in ev.drawings:
        _drawing(c, on_file)
    if not ev.episodes and not ev.work_orders:
        c.add("history", fill("no_history"), citations=(RecordCitation("assets", ev.asset_id),))


def _drawing(c: Composer, on_file: DrawingOnFile) -> None:
    """One sentence on a drawing of the asset: its title and revision, and the parts-list line
    naming the component the FMEA points to; every field quoted from the drawing's record."""
    drawing = on_file.drawing
    title = str(drawing.title_block.get("part_name", "")).strip()
    revision = str(drawing.title_block.get("revision", "")).strip()
    quoted = [t for t in (title, revision) if t]
    details = ""
    if title:
        details += f': "{title}"'
    if revision:
        details += f', revision "{revision}"'
    part = on_file.part or {}
    description = str(part.get("description", "")).strip()
    number = str(part.get("part_number", "")).strip()
    if description:
        details += f'; its parts list names "{description}"'
        quoted.append(description)
        if number:
            details += f' (part "{number}")'
            quoted.append(number)
    c.add(
        "history",
        fill("drawing", doc=short_id(drawing.drawing_id), drawing_details=details),
        citations=(RecordCitation("drawings", drawing.drawing_id),),
        quotes=tuple(Quote("drawings", drawing.drawing_id, q) for q in quoted),
    )
