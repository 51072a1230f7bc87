"""The config drive: a FAT image labelled ``config-2`` holding the metadata documents,
read back with mtools (no mount)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from onestack.compute.metadata import configdrive, content
from onestack.compute.metadata.configdrive import ConfigDriveError, build_config_drive
from tests.unit.compute.test_metadata_content import KEY, UUID, facts

pytestmark = pytest.mark.skipif(
    not configdrive.tools_available() or shutil.which("mtype") is None
    or shutil.which("mdir") is None,
    reason="needs mkfs.vfat (Debian: dosfstools) and mcopy/mtype/mdir (Debian: mtools)")

ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


def mtools(*argv: str) -> str:
    return subprocess.run(list(argv), capture_output=True, text=True, check=True,
                          env=ENV).stdout


def read(image: Path, path: str) -> bytes:
    return subprocess.run(["mtype", "-i", str(image), f"::/{path}"], capture_output=True,
                          check=True, env=ENV).stdout


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = content.drive_documents(facts())
    return build_config_drive(docs, tmp_path_factory.mktemp("cd") / "disk.config")


def test_the_drive_is_a_fat_image_labelled_config_2(drive: Path):
    assert drive.is_file() and drive.stat().st_size == configdrive.SIZE_BYTES
    assert "Volume in drive : is config-2" in mtools("mdir", "-i", str(drive), "::/")
    probe = subprocess.run(["blkid", "-o", "export", str(drive)], capture_output=True,
                           text=True) if shutil.which("blkid") else None
    if probe is not None and probe.returncode == 0:
        assert "LABEL=config-2" in probe.stdout and "TYPE=vfat" in probe.stdout


def test_the_drive_holds_the_openstack_and_ec2_documents(drive: Path):
    md = json.loads(read(drive, "openstack/latest/meta_data.json"))
    assert (md["uuid"], md["hostname"], md["public_keys"]) == (UUID, "web-1", {"mykey": KEY})
    assert json.loads(read(drive, "openstack/2012-08-10/meta_data.json"))["uuid"] == UUID
    assert read(drive, "openstack/latest/user_data") == facts().user_data
    nd = json.loads(read(drive, "openstack/latest/network_data.json"))
    assert nd["links"][0]["ethernet_mac_address"] == "fa:16:3e:00:00:01"
    assert json.loads(read(drive, "openstack/latest/vendor_data2.json")) == {}
    ec2 = json.loads(read(drive, "ec2/latest/meta-data.json"))
    assert ec2["instance-id"] == "i-5f0c8d7e"
    listing = mtools("mdir", "-b", "-/", "-i", str(drive), "::/openstack/latest")
    assert {line.rsplit("/", 1)[-1] for line in listing.split()} >= {
        "meta_data.json", "user_data", "network_data.json", "vendor_data.json",
        "vendor_data2.json"}


def test_building_again_replaces_the_drive_whole(tmp_path: Path):
    target = tmp_path / "disk.config"
    build_config_drive({"openstack/latest/meta_data.json": b'{"uuid": "one"}',
                        "openstack/latest/user_data": b"old"}, target)
    build_config_drive({"openstack/latest/meta_data.json": b'{"uuid": "two"}'}, target)
    assert json.loads(read(target, "openstack/latest/meta_data.json")) == {"uuid": "two"}
    gone = subprocess.run(["mtype", "-i", str(target), "::/openstack/latest/user_data"],
                          capture_output=True, env=ENV)
    assert gone.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk.config"]  # no leftovers


@pytest.mark.parametrize("bad", ["/etc/passwd", "../escape", "openstack/../../x", ""])
def test_paths_outside_the_drive_are_refused(tmp_path: Path, bad: str):
    with pytest.raises(ConfigDriveError):
        build_config_drive({bad: b"x"}, tmp_path / "disk.config")
    assert not (tmp_path / "disk.config").exists()
