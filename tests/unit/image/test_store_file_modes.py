"""Image bytes are other tenants' data: the filesystem store creates every file 0600 (and
its directory 0700) whatever the process umask, never 0644 first and chmod'ed later
(issue 7, F5)."""
from __future__ import annotations

import os
import stat

import pytest

from onestack.image.drivers.filesystem import FilesystemStore


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_image_files_are_created_0600(tmp_path, loose_umask):
    store = FilesystemStore(tmp_path / "images")
    seen_modes: list[int] = []

    def chunks():
        yield b"first"
        # the temporary file exists now: it must already be private
        (part,) = [p for p in (tmp_path / "images").iterdir() if p.name.endswith(".part")]
        seen_modes.append(stat.S_IMODE(part.stat().st_mode))
        yield b"second"

    store.write("img-1", chunks())
    assert seen_modes == [0o600]
    assert stat.S_IMODE((tmp_path / "images" / "img-1").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "images").stat().st_mode) == 0o700
    assert b"".join(store.read("img-1")) == b"firstsecond"
