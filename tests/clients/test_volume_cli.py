"""The unmodified ``openstack`` CLI on block storage against a real ``onestack up``: volume
types, volumes (create, list, show, set, extend with ``volume set --size``, clone), snapshots,
backups and their restores, and the bytes of an image through a volume and back
(``volume create --image``, ``image create --volume``, ``image save``)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.clients.conftest import venv_bin

pytestmark = pytest.mark.ha

MIB = 1 << 20
GIB = 1 << 30


def osc(cloud, *args: str) -> str:
    cmd = [venv_bin("openstack"), "--os-cloud", "onestack", *args]
    result = subprocess.run(cmd, env=cloud["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout.strip()


def osc_fails(cloud, *args: str) -> str:
    """The error text of a command that must fail."""
    cmd = [venv_bin("openstack"), "--os-cloud", "onestack", *args]
    result = subprocess.run(cmd, env=cloud["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, f"{' '.join(args)} succeeded: {result.stdout[-2000:]}"
    return result.stderr


def show(cloud, *args: str) -> dict:
    return json.loads(osc(cloud, *args, "-f", "json"))


def wait_status(cloud, kind: list[str], name: str, want: str, timeout: float = 120) -> dict:
    """Poll ``<kind> show <name>`` until its status is ``want``; any error status fails."""
    deadline = time.monotonic() + timeout
    while True:
        row = show(cloud, *kind, "show", name)
        if row["status"] == want:
            return row
        assert "error" not in row["status"], f"{' '.join(kind)} {name}: {row}"
        assert time.monotonic() < deadline, f"{' '.join(kind)} {name} never {want}: {row}"
        time.sleep(0.5)


def wait_gone(cloud, kind: list[str], name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while name in osc(cloud, *kind, "list", "-f", "value", "-c", "Name").split():
        assert time.monotonic() < deadline, f"{' '.join(kind)} {name} was never deleted"
        time.sleep(0.5)


def volume_service_up(cloud, timeout: float = 120) -> None:
    """Wait until ``volume service list`` shows an up cinder-volume: ``onestack up`` starts
    its agents after the first login, and a volume created before its backend's first
    heartbeat goes to error (no valid backend), as Cinder's would."""
    deadline = time.monotonic() + timeout
    while True:
        rows = json.loads(osc(cloud, "volume", "service", "list", "-f", "json"))
        if any(r["Binary"] == "cinder-volume" and r["State"] == "up" for r in rows):
            return
        assert time.monotonic() < deadline, f"no volume backend came up: {rows}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def first_volume(cloud) -> dict:
    """The first thing done on the fresh cloud: create a volume at once, wait for it to
    settle, and keep what it became; then wait for the volume service for the other tests."""
    vol = show(cloud, "volume", "create", "--size", "1", "cli-first")
    deadline = time.monotonic() + 120
    while (row := show(cloud, "volume", "show", vol["id"]))["status"] == "creating":
        assert time.monotonic() < deadline, f"never left creating: {row}"
        time.sleep(0.5)
    volume_service_up(cloud)
    osc(cloud, "volume", "delete", vol["id"])
    return row


@pytest.fixture(autouse=True)
def _volume_service(first_volume):
    return first_volume


def test_the_first_volume_after_up_is_available(first_volume):
    """A user who runs ``openstack volume create`` as soon as ``onestack up`` answers gets
    a volume, not an error."""
    assert first_volume["status"] == "available", first_volume


def test_volumes_snapshots_backups_with_the_cli(cloud):
    """A private type with a property, a volume of it, renamed, given properties and extended;
    a snapshot and a volume from it, a clone, a backup restored to a new volume; every one
    deleted and gone."""
    # An unscoped extra spec is a capability the backend must have (Cinder's
    # CapabilitiesFilter); a scoped one ("cli:") is the operator's note, ignored by placement.
    vtype = show(cloud, "volume", "type", "create", "--private", "--description", "gold disks",
                 "--property", "cli:tier=gold", "--property", "storage_protocol=file",
                 "cli-gold")
    assert vtype["is_public"] is False
    assert vtype["properties"] == {"cli:tier": "gold", "storage_protocol": "file"}
    assert "cli-gold" in osc(cloud, "volume", "type", "list", "-f", "value", "-c", "Name")
    created = show(cloud, "volume", "create", "--size", "1", "--type", "cli-gold",
                   "--description", "first", "--property", "owner=cli", "cli-vol")
    assert created["size"] == 1 and created["name"] == "cli-vol"
    vol = wait_status(cloud, ["volume"], "cli-vol", "available")
    assert vol["type"] == "cli-gold" and vol["volume_type_id"] == vtype["id"]
    assert vol["properties"] == {"owner": "cli"} and vol["bootable"] is False
    rows = osc(cloud, "volume", "list", "-f", "value", "-c", "ID", "-c", "Name", "-c", "Status")
    assert f"{vol['id']} cli-vol available" in rows.splitlines()

    osc(cloud, "volume", "set", "--name", "cli-vol2", "--description", "renamed",
        "--property", "env=test", "cli-vol")
    vol = show(cloud, "volume", "show", "cli-vol2")
    assert vol["description"] == "renamed"
    assert vol["properties"] == {"owner": "cli", "env": "test"}
    osc(cloud, "volume", "unset", "--property", "owner", "cli-vol2")
    assert show(cloud, "volume", "show", "cli-vol2")["properties"] == {"env": "test"}
    osc(cloud, "volume", "set", "--size", "2", "cli-vol2")
    assert wait_status(cloud, ["volume"], "cli-vol2", "available")["size"] == 2
    # Shrinking is refused: the CLI checks it, the cloud answers what it would have said.
    assert "size" in osc_fails(cloud, "volume", "set", "--size", "1", "cli-vol2").lower()

    snap = show(cloud, "volume", "snapshot", "create", "--volume", "cli-vol2",
                "--description", "before", "cli-snap")
    assert snap["volume_id"] == vol["id"] and snap["size"] == 2
    wait_status(cloud, ["volume", "snapshot"], "cli-snap", "available")
    listed = osc(cloud, "volume", "snapshot", "list", "--volume", "cli-vol2", "-f", "value",
                 "-c", "Name")
    assert listed.split() == ["cli-snap"]
    osc(cloud, "volume", "create", "--snapshot", "cli-snap", "cli-from-snap")
    from_snap = wait_status(cloud, ["volume"], "cli-from-snap", "available")
    assert from_snap["snapshot_id"] == snap["id"] and from_snap["size"] == 2
    osc(cloud, "volume", "create", "--source", "cli-vol2", "cli-clone")
    clone = wait_status(cloud, ["volume"], "cli-clone", "available")
    assert clone["source_volid"] == vol["id"] and clone["type"] == "cli-gold"
    # A volume with a snapshot is not deleted; its snapshot first.
    assert "snapshot" in osc_fails(cloud, "volume", "delete", "cli-vol2").lower()
    osc(cloud, "volume", "snapshot", "delete", "cli-snap")
    wait_gone(cloud, ["volume", "snapshot"], "cli-snap")

    backup = show(cloud, "volume", "backup", "create", "--name", "cli-backup",
                  "--description", "nightly", "cli-vol2")
    assert backup["volume_id"] == vol["id"]
    done = wait_status(cloud, ["volume", "backup"], "cli-backup", "available")
    assert done["size"] == 2 and done["volume_id"] == vol["id"]
    assert done["description"] == "nightly"
    restored = show(cloud, "volume", "backup", "restore", "cli-backup", "cli-restored")
    assert restored["id"] == backup["id"] and restored["volume_name"] == "cli-restored"
    new = wait_status(cloud, ["volume"], "cli-restored", "available")
    assert new["id"] == restored["volume_id"] and new["size"] == 2
    wait_status(cloud, ["volume", "backup"], "cli-backup", "available")
    osc(cloud, "volume", "backup", "delete", "cli-backup")
    wait_gone(cloud, ["volume", "backup"], "cli-backup")

    osc(cloud, "volume", "delete", "cli-vol2", "cli-from-snap", "cli-clone", "cli-restored")
    for name in ("cli-vol2", "cli-from-snap", "cli-clone", "cli-restored"):
        wait_gone(cloud, ["volume"], name)
    osc(cloud, "volume", "type", "delete", "cli-gold")
    assert "cli-gold" not in osc(cloud, "volume", "type", "list", "-f", "value", "-c", "Name")


def test_a_volume_no_backend_can_hold_with_the_cli(cloud):
    """A type asking for a capability no backend has: the volume ends in error, and the
    user message says why (``volume message list``, microversion 3.3)."""
    osc(cloud, "volume", "type", "create", "--property", "vendor_name=nobody", "cli-nowhere")
    vol = show(cloud, "volume", "create", "--size", "1", "--type", "cli-nowhere", "cli-lost")
    deadline = time.monotonic() + 60
    while (row := show(cloud, "volume", "show", "cli-lost"))["status"] != "error":
        assert row["status"] == "creating", row
        assert time.monotonic() < deadline, f"never in error: {row}"
        time.sleep(0.5)
    messages = json.loads(osc(cloud, "--os-volume-api-version", "3.3", "volume", "message",
                              "list", "-f", "json"))
    mine = [m for m in messages if m["Resource UUID"] == vol["id"]]
    assert len(mine) == 1, messages
    assert mine[0]["Resource Type"] == "VOLUME" and "schedule" in mine[0]["User Message"]
    osc(cloud, "volume", "delete", "cli-lost")
    wait_gone(cloud, ["volume"], "cli-lost")
    osc(cloud, "volume", "type", "delete", "cli-nowhere")


def _read_back(cloud, tmp_path, image: str, disk_format: str) -> bytes:
    """The image's bytes as raw: ``image save``, then ``qemu-img convert`` for qcow2."""
    saved = tmp_path / f"{image}.{disk_format}"
    osc(cloud, "image", "save", "--file", str(saved), image)
    if disk_format == "raw":
        return saved.read_bytes()
    raw = tmp_path / f"{image}.raw"
    subprocess.run([shutil.which("qemu-img"), "convert", "-f", disk_format, "-O", "raw",
                    str(saved), str(raw)], check=True, timeout=300)
    return raw.read_bytes()


@pytest.mark.skipif(shutil.which("qemu-img") is None,
                    reason="the qcow2 upload is read back with qemu-img, not installed here")
def test_image_bytes_through_a_volume_and_a_backup_with_the_cli(cloud, tmp_path):
    """Bytes written to an image come back the same after image → volume → backup → restored
    volume → image: a volume created from the image is bootable with the image's metadata;
    the restored volume is uploaded as qcow2 (small: a 1 GiB volume holding 3 MiB), read back
    and converted to raw: the image's bytes, then zeros to the volume's size."""
    data = os.urandom(3 * MIB)
    src = tmp_path / "src.raw"
    src.write_bytes(data)
    image_id = osc(cloud, "image", "create", "--file", str(src), "--disk-format", "raw",
                   "--container-format", "bare", "cli-vol-src", "-f", "value", "-c", "id")
    osc(cloud, "volume", "create", "--image", "cli-vol-src", "--size", "1", "cli-imgvol")
    vol = wait_status(cloud, ["volume"], "cli-imgvol", "available")
    assert vol["bootable"] is True
    assert vol["volume_image_metadata"]["image_id"] == image_id
    assert vol["volume_image_metadata"]["image_name"] == "cli-vol-src"

    osc(cloud, "volume", "backup", "create", "--name", "cli-imgbackup", "cli-imgvol")
    wait_status(cloud, ["volume", "backup"], "cli-imgbackup", "available")
    osc(cloud, "volume", "backup", "restore", "cli-imgbackup", "cli-imgrestored")
    wait_status(cloud, ["volume"], "cli-imgrestored", "available")

    upload = show(cloud, "image", "create", "--volume", "cli-imgrestored", "--disk-format",
                  "qcow2", "cli-vol-up")
    assert upload["image_name"] == "cli-vol-up" and upload["disk_format"] == "qcow2"
    deadline = time.monotonic() + 180
    while (image := show(cloud, "image", "show", "cli-vol-up"))["status"] != "active":
        assert image["status"] in ("queued", "saving"), image
        assert time.monotonic() < deadline, f"the upload never finished: {image}"
        time.sleep(1)
    assert image["disk_format"] == "qcow2"
    wait_status(cloud, ["volume"], "cli-imgrestored", "available")
    back = _read_back(cloud, tmp_path, "cli-vol-up", "qcow2")
    assert len(back) == GIB
    assert back[:len(data)] == data
    assert back[len(data):].count(0) == GIB - len(data)

    osc(cloud, "image", "delete", "cli-vol-up", "cli-vol-src")
    osc(cloud, "volume", "backup", "delete", "cli-imgbackup")
    osc(cloud, "volume", "delete", "cli-imgvol", "cli-imgrestored")
    for name in ("cli-imgvol", "cli-imgrestored"):
        wait_gone(cloud, ["volume"], name)
    wait_gone(cloud, ["volume", "backup"], "cli-imgbackup")


def _wait_server(cloud, name: str, want: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (row := show(cloud, "server", "show", name))["status"] != want:
        assert row["status"] != "ERROR", row.get("fault")
        assert time.monotonic() < deadline, f"server {name} never {want}: {row['status']}"
        time.sleep(0.5)
    return row


def test_attach_and_detach_with_the_cli(cloud, tmp_path):
    """``server add volume`` attaches (the volume in-use, its attachment naming the server,
    ``server volume list`` showing the device); an attached volume is not deleted;
    ``server remove volume`` detaches it; a server deleted with a volume attached leaves the
    volume available."""
    disk = tmp_path / "disk.raw"
    disk.write_bytes(os.urandom(MIB))
    osc(cloud, "image", "create", "--file", str(disk), "--disk-format", "raw",
        "--container-format", "bare", "cli-attach-image")
    server = show(cloud, "server", "create", "--image", "cli-attach-image", "--flavor",
                  "m1.tiny", "--nic", "none", "--wait", "cli-attach-vm")
    assert server["status"] == "ACTIVE"
    osc(cloud, "volume", "create", "--size", "1", "cli-data")
    vol = wait_status(cloud, ["volume"], "cli-data", "available")

    attached = show(cloud, "server", "add", "volume", "cli-attach-vm", "cli-data")
    assert attached["Volume ID"] == vol["id"] and attached["Server ID"] == server["id"]
    in_use = wait_status(cloud, ["volume"], "cli-data", "in-use")
    (attachment,) = in_use["attachments"]
    assert attachment["server_id"] == server["id"]
    assert attachment["device"] == attached["Device"]
    rows = json.loads(osc(cloud, "server", "volume", "list", "cli-attach-vm", "-f", "json"))
    assert [(r["Volume ID"], r["Device"]) for r in rows] == [(vol["id"], attached["Device"])]
    shown = show(cloud, "server", "show", "cli-attach-vm")
    assert [v["id"] for v in shown["volumes_attached"]] == [vol["id"]]
    assert "attach" in osc_fails(cloud, "volume", "delete", "cli-data").lower()

    osc(cloud, "server", "remove", "volume", "cli-attach-vm", "cli-data")
    assert wait_status(cloud, ["volume"], "cli-data", "available")["attachments"] == []
    assert json.loads(osc(cloud, "server", "volume", "list", "cli-attach-vm", "-f",
                          "json")) == []

    osc(cloud, "server", "add", "volume", "cli-attach-vm", "cli-data")
    wait_status(cloud, ["volume"], "cli-data", "in-use")
    osc(cloud, "server", "delete", "--wait", "cli-attach-vm")
    assert wait_status(cloud, ["volume"], "cli-data", "available")["attachments"] == []
    osc(cloud, "volume", "delete", "cli-data")
    wait_gone(cloud, ["volume"], "cli-data")
    osc(cloud, "image", "delete", "cli-attach-image")


def test_boot_from_volume_with_the_cli(cloud, tmp_path):
    """``server create --image … --boot-from-volume 1 --delete-on-termination``: the server
    is active on a new bootable volume made from the image; deleting the server deletes the
    volume."""
    disk = tmp_path / "disk.raw"
    disk.write_bytes(os.urandom(MIB))
    image_id = osc(cloud, "image", "create", "--file", str(disk), "--disk-format", "raw",
                   "--container-format", "bare", "cli-bfv-image", "-f", "value", "-c", "id")
    before = set(osc(cloud, "volume", "list", "-f", "value", "-c", "ID").split())
    result = subprocess.run(
        [venv_bin("openstack"), "--os-cloud", "onestack", "server", "create", "--image",
         "cli-bfv-image", "--flavor", "m1.tiny", "--nic", "none", "--boot-from-volume", "1",
         "--delete-on-termination", "--wait", "cli-bfv", "-f", "json"],
        env=cloud["env"], capture_output=True, text=True, timeout=300)
    server = show(cloud, "server", "show", "cli-bfv")
    assert result.returncode == 0, f"{result.stderr[-1000:]} fault: {server.get('fault')}"
    assert server["status"] == "ACTIVE"
    (root,) = server["volumes_attached"]
    assert root["delete_on_termination"] is True
    assert set(osc(cloud, "volume", "list", "-f", "value", "-c", "ID").split()) - before == {
        root["id"]}
    vol = show(cloud, "volume", "show", root["id"])
    assert vol["status"] == "in-use" and vol["bootable"] is True and vol["size"] == 1
    assert vol["volume_image_metadata"]["image_id"] == image_id
    assert vol["attachments"][0]["server_id"] == server["id"]

    osc(cloud, "server", "delete", "--wait", "cli-bfv")
    deadline = time.monotonic() + 120
    while root["id"] in osc(cloud, "volume", "list", "-f", "value", "-c", "ID").split():
        assert time.monotonic() < deadline, "the root volume outlived its server"
        time.sleep(0.5)
    osc(cloud, "image", "delete", "cli-bfv-image")
