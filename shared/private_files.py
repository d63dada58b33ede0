"""Local data is private to the account that runs the service: directories 0700, files 0600.

The data dir holds callers' numbers, words and call ids (memories, queue, archive, secrets), and an export holds
every memory. Each is created with its mode (``os.open``, ``mkdir``), so no other account can read it even for a
moment, whatever the umask; a umask can only take permissions away from these modes, never add any.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def private_dir(path: Path) -> Path:
    """``path``, created 0700 with every missing parent (``mkdir(parents=True)`` would give those the umask's mode).
    A directory that exists is left as it is: it may be one the user chose and shares on purpose."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            if not directory.is_dir():
                raise
    return path


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (SQLite gives its ``-wal`` and ``-shm`` the mode of the
    database file, so a database created this way keeps them private too).

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock this process holds on
    it, so opening and closing a database that a connection has open would take SQLite's locks away from under it.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def open_private(path: Path) -> int:
    """A descriptor to write ``path`` from empty: created 0600, or an existing regular file made 0600 before anything
    is written to it (an export written over an older one)."""
    fd = os.open(path, _WRITE, PRIVATE_FILE)
    try:
        status = os.fstat(fd)
        if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) & ~PRIVATE_FILE:
            os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (see ``open_private``)."""
    with os.fdopen(open_private(path), "wb") as handle:
        handle.write(data)


__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "create_private", "open_private", "private_dir", "write_private"]
