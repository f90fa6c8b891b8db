"""One audit per database at a time: scheduled audits must not overlap.

The lock is a file next to the database (``<db>.lock``) held with ``filelock`` for the whole
audit; the operating system drops it when the process dies, so a killed audit never leaves a
stale lock behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["AuditLocked", "audit_lock", "lock_path"]


class AuditLocked(Exception):
    """Another audit holds the database's lock."""


def lock_path(db_path: str | Path) -> Path:
    return Path(str(db_path) + ".lock")


@contextlib.contextmanager
def audit_lock(db_path: str | Path) -> Iterator[None]:
    """Hold ``<db>.lock`` while the block runs; :class:`AuditLocked` at once if it is taken."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise AuditLocked(f"another audit is already using {db_path} (lock file {path}); "
                          "wait for it to finish or use another --db") from None
    try:
        yield
    finally:
        lock.release()
