"""The unmodified Ansible ``openstack.cloud`` collection on block storage against a real
``onestack up``: the playbook ``ansible/volume.yml`` makes volume types, volumes (from
nothing, an image, a snapshot, another volume), extends one, snapshots, full and incremental
backups and a retype, asserts what the cloud answered, then deletes it all and asserts it is
gone. The toolchain (ansible-core and the collection as the ansible wheel ships it) is the
one ``test_ansible_openstack_cloud`` builds."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.clients.test_ansible_openstack_cloud import ansible_playbook  # noqa: F401

pytestmark = pytest.mark.ha

PLAYBOOK = Path(__file__).with_name("ansible") / "volume.yml"


def test_block_storage_with_ansible_openstack_cloud(cloud, ansible_playbook,  # noqa: F811
                                                    tmp_path):
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
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    # The recap: every task ran on localhost, none failed, none was skipped.
    recap = out[out.index("PLAY RECAP"):]
    assert "failed=0" in recap and "unreachable=0" in recap, recap
    assert "ok=" in recap and "skipped=0" in recap, recap
