"""Which store the image service uses, and where it keeps its files.

The settings have no data directory yet, so the directory is derived here, in one place:
next to the SQLite database file (``<dir of the db>/images``) when the database is SQLite
on disk, else ``$ONESTACK_IMAGE_DIR``, else ``~/.onestack/images``. Staged uploads (the
``glance-direct`` import) live in ``<that dir>/staging``.

Called once, when the image seam is built (``ImageSeam.from_settings``; the image API's
container takes the seam's stores): the environment is read at start, never per request,
and everything that moves image bytes — the image API, Nova's image proxy, the host
agents — uses the stores built then.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from onestack.image.drivers.filesystem import FilesystemStore

ENV_DIR = "ONESTACK_IMAGE_DIR"


def image_dir(database_url: str, environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        return Path(url.database).expanduser().resolve().parent / "images"
    if environ.get(ENV_DIR):
        return Path(environ[ENV_DIR]).expanduser().resolve()
    return Path("~/.onestack/images").expanduser()


def filesystem_stores(database_url: str, environ: Mapping[str, str] | None = None
                      ) -> tuple[FilesystemStore, FilesystemStore]:
    """The image store and the staging store."""
    root = image_dir(database_url, environ)
    return FilesystemStore(root, "file"), FilesystemStore(root / "staging", "staging")
