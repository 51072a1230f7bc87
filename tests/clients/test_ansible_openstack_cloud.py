"""The unmodified Ansible ``openstack.cloud`` collection against a real ``onestack up``: the
playbook ``ansible/network.yml`` builds a network, subnet, router with an external gateway and
an interface, a security group with rules, a port, an image, a server on the network and a
floating IP associated to it, asserts what the cloud answered, then deletes it all and asserts
it is gone.

Ansible is not in the project's venv: the full ``ansible`` package is ~600 MB and minutes to
install. The test builds, once, a toolchain under ``~/.cache/onestack-tests``: a venv with
``ansible-core``, and the ``openstack.cloud`` collection unpacked as is from the ``ansible``
wheel on PyPI (that wheel is how the collection is published there). The modules run with
this interpreter (``ansible_python_interpreter``), so they use the openstacksdk under test.

The collection comes from ansible 14, whose openstack.cloud 2.6.0 works with openstacksdk 4.x
(2.5.0, in ansible 12, the last ansible for Python 3.11, reads ``openstack.version``, which
openstacksdk 4.15 removed). That wheel asks for Python 3.12 as ansible-core 2.21 does; the
collection itself asks for ansible-core >= 2.8, so ansible-core 2.19 runs it on Python 3.11.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.ha

ANSIBLE_CORE = "ansible-core>=2.19,<2.20"
ANSIBLE = "ansible==14.5.0"  # ships openstack.cloud 2.6.0
COLLECTION = "ansible_collections/openstack/cloud/"
PLAYBOOK = Path(__file__).with_name("ansible") / "network.yml"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onestack-tests" / \
    f"ansible-{ANSIBLE.split('==')[1]}-py{sys.version_info[0]}{sys.version_info[1]}"


def _run(cmd: list[str], timeout: int) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)}: {result.stdout[-2000:]}" \
                                   f"{result.stderr[-2000:]}"


def _build_toolchain(root: Path) -> None:
    """A venv with ansible-core and a collections dir holding openstack.cloud exactly as the
    ansible wheel ships it."""
    venv.EnvBuilder(with_pip=True, clear=True).create(root / "venv")
    pip = str(root / "venv" / "bin" / "pip")
    _run([pip, "install", "-q", "--disable-pip-version-check", ANSIBLE_CORE], timeout=900)
    with tempfile.TemporaryDirectory() as wheels:
        _run([pip, "download", "-q", "--disable-pip-version-check", "--no-deps",
              "--only-binary=:all:", "--python-version", "3.12", "-d", wheels, ANSIBLE],
             timeout=900)
        (wheel,) = Path(wheels).glob("ansible-*.whl")
        collections = root / "collections"
        shutil.rmtree(collections, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(COLLECTION)]
            assert members, f"{wheel.name} has no {COLLECTION}"
            archive.extractall(collections, members)
    (root / "ready").write_text(f"{ANSIBLE_CORE}\n{ANSIBLE}\n")


@pytest.fixture(scope="module")
def ansible_playbook() -> tuple[str, Path]:
    """The ansible-playbook binary and the collections path, built on first use (a lock keeps
    concurrent runs from building it twice)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CACHE / "ready").exists():
            _build_toolchain(CACHE)
    return str(CACHE / "venv" / "bin" / "ansible-playbook"), CACHE / "collections"


def test_networking_with_ansible_openstack_cloud(cloud, ansible_playbook, tmp_path):
    playbook, collections = ansible_playbook
    env = {**cloud["env"],
           "ANSIBLE_COLLECTIONS_PATH": str(collections),
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
           "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
           "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
           "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_RETRY_FILES_ENABLED": "false"}
    cmd = [playbook, "-i", "localhost,", str(PLAYBOOK),
           "-e", f"ansible_python_interpreter={sys.executable}", "-e", "cloud=onestack"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    # The recap: every task ran on localhost, none failed, none was skipped.
    recap = out[out.index("PLAY RECAP"):]
    assert "failed=0" in recap and "unreachable=0" in recap, recap
    assert "ok=" in recap and "skipped=0" in recap, recap
