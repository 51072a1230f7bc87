"""Files only their owner can read: the data directory, the SQLite database (password hashes,
token and credential keys), client configuration with the admin password.

A file is private from the moment it exists (``os.open`` with mode 0600, never written and
then chmod'ed: another local user could open it in between), every ``onestack`` command runs
under umask 077 so files made by libraries (SQLite's ``-wal``/``-shm``, image stores, agent
state) are private too, and an installation made before this is tightened on start.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def restrict_umask() -> int:
    """Make everything this process creates owner-only; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (made, or tightened if it exists)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & PRIVATE_UMASK:
        path.chmod(DIR_MODE)
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the new file is 0600 from its creation."""
    raw = data.encode() if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _remove_quietly(tmp)  # left behind by a crash mid-write
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 if it does not exist yet; True if it was made here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten(path: Path) -> bool:
    """Drop group and other permissions from ``path`` (never following a symlink); True if
    it needed it."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode) or not mode & PRIVATE_UMASK:
        return False
    if stat.S_ISDIR(st.st_mode):
        path.chmod(DIR_MODE)
    else:
        path.chmod(mode & ~PRIVATE_UMASK)
    return True


def tighten_tree(root: Path) -> list[Path]:
    """Make ``root`` and everything below it owner-only (an installation from before files
    were private); returns what was changed. Symlinks are neither followed nor changed."""
    changed = [root] if tighten(root) else []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        changed.extend(p for p in (base / n for n in dirnames + filenames) if tighten(p))
    return changed


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (another backend, in-memory, a URI)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def private_sqlite_file(url: str) -> None:
    """Pre-create a SQLite database 0600 (SQLite gives its ``-wal`` and ``-shm`` the
    database's mode) or tighten an existing one and its companions."""
    path = sqlite_path(url)
    if path is None or not path.parent.is_dir():
        return
    if create_private_file(path):
        return
    for suffix in _SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix))


# What ``onestack up`` keeps in its data dir. Only these are tightened on start: the data dir
# may be a directory the user keeps other files in (``--data-dir ~``), and those are theirs.
# The volume and backup trees and a real hypervisor's guest dirs are made at first use (the
# seams are built lazily), so a start must not wait for them to tighten an older copy.
OWN_FILES = ("onestack.db*", "clouds.yaml", "openrc", "admin-password", ".*.tmp", "fake-*",
             "metadata-proxy-secret", "qemu-accel.json")
OWN_TREES = ("images", "volumes", "backups", "qemu-*")


def prepare_data_dir(data_dir: Path, database_url: str) -> list[Path]:
    """The state directory of ``onestack up``, private (an older, looser one tightened:
    the directory, the files onestack keeps in it, its image tree), with its SQLite database
    created private; returns what was tightened."""
    changed = [data_dir] if data_dir.is_dir() and tighten(data_dir) else []
    private_dir(data_dir)
    for pattern in OWN_FILES:
        changed.extend(p for p in sorted(data_dir.glob(pattern)) if tighten(p))
    for pattern in OWN_TREES:
        for tree in sorted(data_dir.glob(pattern)):
            if tree.is_dir() and not tree.is_symlink():
                changed.extend(tighten_tree(tree))
    private_sqlite_file(database_url)
    return changed
