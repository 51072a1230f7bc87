"""The backup store seam: named objects in, named objects out, nothing else.

A backup store keeps opaque objects (a backup's chunks) under names such as
``backup-<id>/chunk-000003``. It knows nothing about backups, volumes or the database:
the worker decides what to write, read and delete (``volume.backup.chunks``), and the
chunk index in the database says which object holds which bytes. The file store under
the data dir is the default; the object store (Swift) will be another implementation of
the same Protocol, run through the same contract suite
(``tests/contract/test_backup_store.py``).
"""
from __future__ import annotations

import re
from typing import Protocol

# what export_record names as ``backup_service`` (Tempest wants Cinder's prefix)
SERVICE_PREFIX = "cinder.backup.drivers."
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$")


class BackupStoreError(Exception):
    """The store failed (full disk, unreachable object store, …)."""


class ObjectNotFound(BackupStoreError):
    """No object under this name."""


class BackupStore(Protocol):
    """Contract, for every implementation:

    * ``put`` stores ``data`` under ``name``, replacing what was there; atomically: a
      reader sees the old object or the new one whole, never a part, and a failed put
      leaves nothing new behind.
    * ``get`` returns the object's bytes; ``ObjectNotFound`` when there is none.
    * ``delete`` removes the object; a missing object is fine (idempotent).
    * ``exists`` tells whether ``get`` would find the object.
    * ``names(prefix)`` lists the names starting with ``prefix``, sorted.
    * Names are ``check_name``-safe paths (``a/b``); anything else is a ``ValueError``.
    """

    service: str  # the driver name records carry, ``cinder.backup.drivers.<name>``

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...

    def names(self, prefix: str = "") -> list[str]: ...


def check_name(name: str) -> str:
    """Object names become file paths: refuse anything that could leave the store."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name.split("/"):
        raise ValueError(f"unsafe backup object name {name!r}")
    return name
