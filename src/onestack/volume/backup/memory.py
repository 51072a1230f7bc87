"""The in-memory backup store (tests): a dict of objects, with the file store's
semantics (copies in and out, so a caller's buffer never aliases a stored object)."""
from __future__ import annotations

import threading

from onestack.volume.backup.base import SERVICE_PREFIX, ObjectNotFound, check_name


class MemoryStore:
    service = SERVICE_PREFIX + "onestack_memory"

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes) -> None:
        check_name(name)
        with self._lock:
            self._objects[name] = bytes(data)

    def get(self, name: str) -> bytes:
        check_name(name)
        with self._lock:
            found = self._objects.get(name)
        if found is None:
            raise ObjectNotFound(name)
        return found

    def delete(self, name: str) -> None:
        check_name(name)
        with self._lock:
            self._objects.pop(name, None)

    def exists(self, name: str) -> bool:
        check_name(name)
        with self._lock:
            return name in self._objects

    def names(self, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(n for n in self._objects if n.startswith(prefix))
