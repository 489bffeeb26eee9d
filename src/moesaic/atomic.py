"""Atomic writes: a reader sees the old file or the new one, never half of one.

Every file moesaic writes for a user goes through here, so an interrupted run leaves
nothing half-written: data is written to a temporary sibling and renamed into place. The file
(or folder) gets the permissions a new file of ``open()`` (or folder of ``mkdir``) would get, 0666
(0777) less the process umask, where ``tempfile`` alone leaves 0600 (0700): other users (a CI job,
a colleague's tool reading the benchmark JSON) must be able to read the results.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputPathError(FileExistsError, ValueError):
    """An output path that cannot be written as asked: a folder where a file is to go, or the
    reverse, or a place the process may not write (permission denied, read-only file system). A
    ValueError too, so that every command reports it as one line."""


def os_error_reason(err: OSError) -> str:
    """The system's reason for ``err`` in lower case ("permission denied", "read-only file system")."""
    reason = err.strerror or (os.strerror(err.errno) if err.errno else str(err))
    return reason[:1].lower() + reason[1:]


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn an OSError of our own calls that make ``path`` into an OutputPathError naming it and
    the reason, so that a command reports one line instead of a traceback."""
    try:
        yield
    except OutputPathError:
        raise
    except OSError as err:
        raise OutputPathError(f"cannot write {path}: {os_error_reason(err)}") from err


def check_writable(path: Path) -> None:
    """Raise OutputPathError now if this process cannot make ``path`` (a file or a folder): a
    folder is made and removed in its nearest existing folder, the one a write would start in
    (call it before long work; a permission test alone does not see a read-only file system)."""
    path = Path(path)
    start = next((p for p in (path, *path.parents) if p.is_dir()), Path("."))
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".moesaic-probe-", dir=start))
    except OSError as err:
        where = "" if start == path else f" (in {start})"
        raise OutputPathError(f"cannot write {path}: {os_error_reason(err)}{where}") from err


def check_file_target(path: Path) -> None:
    """Raise OutputPathError now if writing the file ``path`` would fail for where it is (call it
    before long work, so that a typo in an output name does not waste a fit)."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder; expected the name of a file to write")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise OutputPathError(f"{parent} is a file, so {path} cannot be written inside it")


def check_folder_target(path: Path) -> None:
    """Raise OutputPathError now if ``path`` cannot become a folder (it, or a parent, is a file)."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                if p == path:
                    message = f"{path} exists and is not a folder; expected a folder or a new name"
                    raise OutputPathError(message)
                raise OutputPathError(f"{p} is a file, so the folder {path} cannot be made inside it")
            return


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Raises:
        OutputPathError: ``path`` is a folder, lies under a file, or cannot be written (the
            message gives the system's reason).
    """
    path = Path(path)
    check_file_target(path)
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with _writing(path):
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write ``path`` with any library; renamed into place on success.

    Example:
        with atomic_path(out / "series.parquet") as tmp:
            frame.to_parquet(tmp)
    """
    path = Path(path)
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with _writing(path):
            os.chmod(tmp, 0o666 & ~_umask())  # after the library wrote (it may recreate the file)
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(path: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` only when the block succeeds.

    On failure the temporary folder is removed and ``path`` is left as it was.

    Raises:
        OutputPathError: ``path`` (or a parent) is a file, or the folder cannot be made there.
    """
    path = Path(path)
    check_folder_target(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another folder or allow overwriting")
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists() and _exchange(tmp, path):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous content
        return
    old = None
    try:
        with _writing(path):
            if path.exists():
                # No atomic exchange here: a crash between these two renames leaves the old folder
                # at `.NAME.old-PID` beside `path`, never a half-written one.
                old = path.with_name(f".{path.name}.old-{os.getpid()}")
                os.replace(path, old)
            os.replace(tmp, path)
    except BaseException:
        if old is not None and not path.exists():
            os.replace(old, path)  # the previous folder back in place
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    """The process umask, read without changing it where /proc says it (Linux >= 4.7)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return int(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)) == 0
