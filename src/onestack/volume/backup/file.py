"""The default backup store: one file per object under a directory of the data dir.

``put`` writes a uniquely named temporary file beside the final one, flushes it to disk
and renames it into place, so an object that exists is always whole and a failed put (a
killed worker) leaves at most a temporary file, which the next store on the directory
clears (the worker's store; not a reader's). Backups are tenants' data: files are 0600
and directories 0700 whatever the umask.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from onestack.volume.backup.base import (SERVICE_PREFIX, BackupStoreError, ObjectNotFound,
                                         check_name)

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".part"


class FileStore:
    service = SERVICE_PREFIX + "onestack_file"

    def __init__(self, root: Path | str, clear_partial: bool = True) -> None:
        """``clear_partial``: remove what killed puts left (the writer's store does; a
        reader beside a running writer must not)."""
        self.root = Path(root).resolve()
        self._mkdir(self.root)
        if clear_partial:
            for stale in self.root.rglob(f".*{TEMP_SUFFIX}"):
                stale.unlink(missing_ok=True)

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def _mkdir(self, path: Path) -> None:
        if path.is_dir():
            return
        if path.parent != path:
            self._mkdir(path.parent)
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass

    def put(self, name: str, data: bytes) -> None:
        final = self._path(name)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
        try:
            self._mkdir(final.parent)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except OSError as exc:
            raise BackupStoreError(f"cannot store {name}: {exc.strerror or exc}") from exc
        finally:
            temp.unlink(missing_ok=True)

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(name) from exc
        except OSError as exc:
            raise BackupStoreError(f"cannot read {name}: {exc.strerror or exc}") from exc

    def delete(self, name: str) -> None:
        path = self._path(name)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def names(self, prefix: str = "") -> list[str]:
        head = prefix.rpartition("/")[0]
        base = self._path(head) if head else self.root
        if not base.is_dir():
            return []
        out = []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.endswith(TEMP_SUFFIX):
                name = path.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    out.append(name)
        return sorted(out)
