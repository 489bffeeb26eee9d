"""Manifests: the files a command wrote into a folder, with their size and sha256.

A command that replaces a folder it wrote before (``moesaic simulate``, ``moesaic demo``) first
compares the folder with its manifest: a file the manifest does not list, or one changed since,
is a user's, and the command refuses rather than delete it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any


def sha256(path: Path) -> str:
    """The hex sha256 of the file ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(root: Path, paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """``{relative POSIX path: {"bytes", "sha256"}}`` of every file in ``paths`` (files, or folders
    whose files are all listed) under ``root``."""
    root = Path(root)
    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in Path(path).rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {
        p.relative_to(root).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in files
        if p.is_file()
    }


def foreign_files(
    root: Path, listed: Mapping[str, Mapping[str, Any]], *, keep: Iterable[str] = ()
) -> list[str]:
    """What under ``root`` is not in ``listed`` (:func:`file_entries`' form): unlisted files,
    folders and links as relative POSIX paths, and listed files whose size or sha256 changed,
    marked ``(changed)``. Nothing is lost with a listed file that is gone or an empty folder, so
    neither is reported; nor are the files named in ``keep`` (the manifest itself)."""
    kept = set(keep)
    folders = {parent.as_posix() for name in listed for parent in PurePosixPath(name).parents}
    foreign: list[str] = []
    pending = [Path(root)]
    while pending:
        folder = pending.pop()
        for path in sorted(folder.iterdir()):
            name = path.relative_to(root).as_posix()
            entry = listed.get(name)
            if name in kept and path.is_file() and not path.is_symlink():
                continue
            if name in folders and path.is_dir() and not path.is_symlink():
                pending.append(path)  # a folder of listed files: look inside
            elif path.is_dir() and not path.is_symlink() and not _holds_files(path):
                continue  # an empty folder (or a tree of them): nothing to lose
            elif entry is None or path.is_symlink() or not path.is_file():
                foreign.append(name)  # an unlisted folder is named once, not file by file
            elif not isinstance(entry, Mapping) or _changed(path, entry):
                foreign.append(f"{name} (changed)")
    return sorted(foreign)


def _holds_files(folder: Path) -> bool:
    return any(p.is_symlink() or not p.is_dir() for p in folder.rglob("*"))


def _changed(path: Path, entry: Mapping[str, Any]) -> bool:
    return path.stat().st_size != entry.get("bytes") or sha256(path) != entry.get("sha256")


def shown(names: list[str], limit: int = 5) -> str:
    """``names`` joined for a one-line message, the first ``limit`` of them and a count of the rest."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
