"""The demo's output folder: it holds only what a demo wrote, so that a new demo may replace it.

``moesaic demo --out FOLDER`` writes ``plant/`` (the simulated plant), ``kb/`` (its knowledge
base), ``moesaic-demo.html``, ``moesaic-report.html`` and :data:`MARKER`, which marks the folder
as the demo's and lists every file of ``kb/`` and of the pages with its size and sha256 (the
plant lists its own files in ``plant/manifest.json``). A demo writes into a new or empty folder,
or into one an earlier demo wrote and nobody added to or changed since; otherwise it refuses
before writing anything, so that it never replaces or deletes a user's file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import moesaic
from moesaic import manifest
from moesaic.atomic import check_folder_target, write_text_atomic

MARKER = "moesaic-demo.json"
FORMAT = "moesaic-demo"
PLANT = "plant"
KB = "kb"
PAGE = "moesaic-demo.html"
REPORT = "moesaic-report.html"
ENTRIES = (MARKER, PLANT, KB, PAGE, REPORT)
"""Everything a demo writes at the top of its folder."""


class DemoFolderError(ValueError):
    """An output folder the demo cannot write without replacing or deleting a user's file."""


def check_demo_folder(out: Path) -> None:
    """Raise unless ``out`` is new, empty, or an earlier demo's folder holding only what it wrote.

    Raises:
        OutputPathError: ``out`` (or a parent) is a file.
        DemoFolderError: ``out`` holds files no demo wrote, or files changed since; the message
            names them and says what to do.
    """
    out = Path(out)
    check_folder_target(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not (out / MARKER).is_file():
        raise DemoFolderError(
            f"{out} is not empty and was not written by moesaic demo (it holds no {MARKER}); "
            "refusing to write the demo into it. Give --out a new or empty folder"
        )
    foreign = manifest.foreign_files(out, _written(out), keep=(MARKER, f"{PLANT}/manifest.json"))
    if foreign:
        raise DemoFolderError(
            f"{out} holds files moesaic demo did not write (or changed since): "
            f"{manifest.shown(foreign)}; refusing to write the demo into it, which would replace or "
            "delete them. Move them out, or give --out a new or empty folder"
        )


def record_demo_files(out: Path) -> None:
    """Write :data:`MARKER` listing the files of ``kb/`` and the pages now in ``out``; call it after
    each of them is written, so that an interrupted demo leaves a folder the next one accepts."""
    out = Path(out)
    written = [out / name for name in (KB, PAGE, REPORT) if (out / name).exists()]
    document = {
        "format": FORMAT,
        "moesaic_version": moesaic.__version__,
        "files": manifest.file_entries(out, written),
    }
    write_text_atomic(out / MARKER, json.dumps(document, sort_keys=True, indent=2) + "\n")


def _written(out: Path) -> dict[str, Any]:
    """Every file the demo wrote in ``out``: those of the marker, and the plant's own manifest's."""
    listed: dict[str, Any] = {}
    for document, prefix in ((out / MARKER, ""), (out / PLANT / "manifest.json", f"{PLANT}/")):
        try:
            files = json.loads(document.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            continue  # unreadable or missing: its files count as foreign
        if isinstance(files, dict):
            listed.update({prefix + str(name): entry for name, entry in files.items()})
    return listed
