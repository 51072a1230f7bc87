"""The Block Storage part of the RBAC matrix: what each persona may do on every route under
``/volume``, from Cinder's secure-RBAC defaults (``cinder/policies/*.py``: project reader /
member, ``admin_api`` for the rest), and the fresh resources of project A and request
bodies the routes need.

Cinder serves every route twice, under ``/v3/{project_id}/…`` and ``/v3/…``: each line
below stands for both. In the project form each persona names its own project, as its
catalog URL does (``OWN_PROJECT`` is replaced per persona by the matrix), so another
project's caller meets A's resource as a stranger (404), not as a malformed URL.

Where Cinder's defaults name no rule (extensions, availability zones, group types,
attachment reads), any authenticated caller is let through and the resource's project
decides. Another project's volume, snapshot, backup, transfer, group or attachment is a
404 (``READ``/``WRITE`` let ``other`` see 403 or 404). Calls are made at microversion 3.71.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import sqlalchemy as sa

from tests.functional.rbac.world import World, call, new_uuid
from tests.support.identity import unique

V3 = "/volume/v3"
OWN_PROJECT = "{own-project}"  # replaced with the calling persona's project id
HEADERS = {"OpenStack-API-Version": "volume 3.71"}
BACKEND = "rbac-vol@rbac#rbac"
SPARE = "rbac-spare@spare#spare"  # no room: the services routes disable and freeze it
BACKUP_HOST = "rbac-backup"

ROUTES = """
PUBLIC GET /volume
PUBLIC GET /volume/
PUBLIC GET /volume/v3
PUBLIC GET /volume/v3/
"""

# paths under /v3 (each also under /v3/{project_id})
V3_ROUTES = """
ANY GET /extensions
ANY GET /os-availability-zone
ANY GET /limits
ANY GET /volumes
ANY GET /volumes/
ANY GET /volumes/detail
ANY GET /volumes/summary
CREATE POST /volumes
ANY PUT /volumes/
ANY DELETE /volumes/
READ GET /volumes/{volume_id}
WRITE PUT /volumes/{volume_id}
WRITE DELETE /volumes/{volume_id}
READ GET /volumes/{volume_id}/metadata
WRITE POST /volumes/{volume_id}/metadata
WRITE PUT /volumes/{volume_id}/metadata
READ GET /volumes/{volume_id}/metadata/{key}
WRITE PUT /volumes/{volume_id}/metadata/{key}
WRITE DELETE /volumes/{volume_id}/metadata/{key}
WRITE POST /volumes/{volume_id}/action#os-extend
WRITE POST /volumes/{volume_id}/action#os-retype
WRITE POST /volumes/{volume_id}/action#os-update_readonly_flag
WRITE POST /volumes/{volume_id}/action#os-set_bootable
WRITE POST /volumes/{volume_id}/action#revert
WRITE POST /volumes/{volume_id}/action#os-reserve
WRITE POST /volumes/{volume_id}/action#os-unreserve
WRITE POST /volumes/{volume_id}/action#os-begin_detaching
WRITE POST /volumes/{volume_id}/action#os-roll_detaching
WRITE POST /volumes/{volume_id}/action#os-attach
WRITE POST /volumes/{volume_id}/action#os-detach
WRITE POST /volumes/{volume_id}/action#os-initialize_connection
WRITE POST /volumes/{volume_id}/action#os-terminate_connection
WRITE POST /volumes/{volume_id}/action#os-volume_upload_image
READ POST /volumes/{volume_id}/action#os-show_image_metadata
WRITE POST /volumes/{volume_id}/action#os-set_image_metadata
WRITE POST /volumes/{volume_id}/action#os-unset_image_metadata
ADMIN POST /volumes/{volume_id}/action#os-reset_status
ADMIN POST /volumes/{volume_id}/action#os-force_delete
ADMIN POST /volumes/{volume_id}/action#os-force_detach
ADMIN POST /volumes/{volume_id}/action#os-migrate_volume
ADMIN POST /volumes/{volume_id}/action#os-unmanage
ANY GET /types
ADMIN POST /types
ANY GET /types/{type_id}
ADMIN PUT /types/{type_id}
ADMIN DELETE /types/{type_id}
ADMIN POST /types/{type_id}/action#addProjectAccess
ADMIN POST /types/{type_id}/action#removeProjectAccess
ADMIN GET /types/{type_id}/os-volume-type-access
ANY GET /types/{type_id}/extra_specs
ADMIN POST /types/{type_id}/extra_specs
ANY GET /types/{type_id}/extra_specs/{key}
ADMIN PUT /types/{type_id}/extra_specs/{key}
ADMIN DELETE /types/{type_id}/extra_specs/{key}
ADMIN GET /types/{type_id}/encryption
ADMIN POST /types/{type_id}/encryption
ADMIN GET /types/{type_id}/encryption/{key}
ADMIN PUT /types/{type_id}/encryption/{encryption_id}
ADMIN DELETE /types/{type_id}/encryption/{encryption_id}
ADMIN GET /default-types
ADMIN GET /default-types/{target_project}
ADMIN PUT /default-types/{target_project}
ADMIN DELETE /default-types/{target_project}
ADMIN GET /qos-specs
ADMIN POST /qos-specs
ADMIN GET /qos-specs/{specs_id}
ADMIN PUT /qos-specs/{specs_id}
ADMIN DELETE /qos-specs/{specs_id}
ADMIN GET /qos-specs/{specs_id}/associate
ADMIN GET /qos-specs/{specs_id}/associations
ADMIN PUT /qos-specs/{specs_id}/delete_keys
ADMIN GET /qos-specs/{specs_id}/disassociate
ADMIN GET /qos-specs/{specs_id}/disassociate_all
ANY GET /snapshots
ANY GET /snapshots/detail
CREATE POST /snapshots
READ GET /snapshots/{snapshot_id}
WRITE PUT /snapshots/{snapshot_id}
WRITE DELETE /snapshots/{snapshot_id}
ADMIN POST /snapshots/{snapshot_id}/action#os-reset_status
ADMIN POST /snapshots/{snapshot_id}/action#os-force_delete
WRITE POST /snapshots/{snapshot_id}/action#os-update_snapshot_status
ADMIN POST /snapshots/{snapshot_id}/action#os-unmanage
ADMIN POST /snapshots/{snapshot_id}/action#os-update_progress
READ GET /snapshots/{snapshot_id}/metadata
WRITE POST /snapshots/{snapshot_id}/metadata
WRITE PUT /snapshots/{snapshot_id}/metadata
READ GET /snapshots/{snapshot_id}/metadata/{key}
WRITE PUT /snapshots/{snapshot_id}/metadata/{key}
WRITE DELETE /snapshots/{snapshot_id}/metadata/{key}
ANY GET /attachments
ANY GET /attachments/detail
CREATE POST /attachments
READ GET /attachments/{attachment_id}
WRITE PUT /attachments/{attachment_id}
WRITE DELETE /attachments/{attachment_id}
WRITE POST /attachments/{attachment_id}/action#os-complete
ANY GET /backups
ANY GET /backups/detail
CREATE POST /backups
ADMIN POST /backups/import_record
READ GET /backups/{backup_id}
WRITE PUT /backups/{backup_id}
WRITE DELETE /backups/{backup_id}
ADMIN POST /backups/{backup_id}/action#os-reset_status
ADMIN POST /backups/{backup_id}/action#os-force_delete
ADMIN GET /backups/{backup_id}/export_record
WRITE POST /backups/{backup_id}/restore
ANY GET /os-volume-transfer
ANY GET /os-volume-transfer/detail
CREATE POST /os-volume-transfer
READ GET /os-volume-transfer/{transfer_id}
WRITE DELETE /os-volume-transfer/{transfer_id}
CREATE POST /os-volume-transfer/{transfer_id}/accept
ANY GET /volume-transfers
ANY GET /volume-transfers/detail
CREATE POST /volume-transfers
READ GET /volume-transfers/{transfer_id}
WRITE DELETE /volume-transfers/{transfer_id}
CREATE POST /volume-transfers/{transfer_id}/accept
ANY GET /groups
ANY GET /groups/detail
CREATE POST /groups
CREATE POST /groups/action
READ GET /groups/{group_id}
WRITE PUT /groups/{group_id}
WRITE POST /groups/{group_id}/action#delete
ADMIN POST /groups/{group_id}/action#reset_status
ANY GET /group_snapshots
ANY GET /group_snapshots/detail
CREATE POST /group_snapshots
READ GET /group_snapshots/{group_snapshot_id}
WRITE DELETE /group_snapshots/{group_snapshot_id}
ADMIN POST /group_snapshots/{group_snapshot_id}/action#reset_status
ANY GET /group_types
ADMIN POST /group_types
ANY GET /group_types/default
ANY GET /group_types/{group_type_id}
ADMIN PUT /group_types/{group_type_id}
ADMIN DELETE /group_types/{group_type_id}
ADMIN GET /group_types/{group_type_id}/group_specs
ADMIN POST /group_types/{group_type_id}/group_specs
ADMIN GET /group_types/{group_type_id}/group_specs/{spec_id}
ADMIN PUT /group_types/{group_type_id}/group_specs/{spec_id}
ADMIN DELETE /group_types/{group_type_id}/group_specs/{spec_id}
READ GET /os-quota-sets/{tenant_id}
ADMIN PUT /os-quota-sets/{tenant_id}
ADMIN DELETE /os-quota-sets/{tenant_id}
READ GET /os-quota-sets/{tenant_id}/defaults
ADMIN GET /os-quota-class-sets/{class_name}
ADMIN PUT /os-quota-class-sets/{class_name}
ADMIN GET /os-services
ADMIN PUT /os-services/enable
ADMIN PUT /os-services/disable
ADMIN PUT /os-services/disable-log-reason
ADMIN PUT /os-services/freeze
ADMIN PUT /os-services/thaw
ADMIN PUT /os-services/failover_host
ADMIN PUT /os-services/failover
ADMIN PUT /os-services/get-log
ADMIN PUT /os-services/set-log
ADMIN GET /os-hosts
ADMIN GET /os-hosts/{host_name}
ADMIN GET /capabilities/{host}
ADMIN GET /scheduler-stats/get_pools
ANY GET /messages
READ GET /messages/{message_id}
WRITE DELETE /messages/{message_id}
ADMIN POST /os-volume-manage
ADMIN POST /os-snapshot-manage
"""


def lines() -> str:
    """The volume block of the expectation table, one ``CLASS METHOD PATH`` per line."""
    out = ROUTES.strip().splitlines()
    for line in V3_ROUTES.strip().splitlines():
        kind, method, path = line.split()
        out += [f"{kind} {method} {V3}{path}", f"{kind} {method} {V3}/{{project_id}}{path}"]
    return "\n".join(out)


# --- fresh resources of project A ----------------------------------------------------------
class VolumeWorld:
    """Makes Block Storage resources of project A, as its member (or, for admin-only kinds,
    as the admin). No volume agent or backup worker runs in the matrix: the backends and
    the backup service are rows with a heartbeat far ahead, and the statuses an agent
    would move on (creating → available, …) are written to the database directly."""

    def __init__(self, w: World):
        from onestack.volume.app import seed

        self.w = w
        self.a = w.project_a["id"]
        self.db = _platform(w).db
        seed(self.db)
        self.auth_keys: dict[str, str] = {}
        self._type: str | None = None
        self.db.write(self._register)
        for project in (self.a, w.project_b["id"], w.cloud.admin_project_id):
            self._request("PUT", f"/os-quota-sets/{project}", self.w.cloud.admin_token,
                          {"quota_set": {k: -1 for k in (
                              "volumes", "gigabytes", "snapshots", "backups",
                              "backup_gigabytes", "groups")}}, 200)

    def ready(self, body: Any) -> Any:
        """``body``, once the world is built (the default type, a backend, quotas)."""
        return body

    def _register(self, s: Any) -> None:
        from onestack.core.db import utcnow
        from onestack.volume.models.backends import Backend, Service

        ahead = utcnow() + timedelta(days=1)
        for name in (BACKEND, SPARE):
            host, _, rest = name.partition("@")
            s.add(Backend(name=name, host=host, backend=rest.partition("#")[0],
                          driver="memory", created_at=utcnow(), availability_zone="nova",
                          total_capacity_gb=10 ** 6 if name == BACKEND else 0,
                          allocated_capacity_gb=0,
                          max_over_subscription_ratio=1.0, disabled=False,
                          heartbeat_at=ahead))
        s.add(Service(binary="cinder-backup", host=BACKUP_HOST, availability_zone="nova",
                      disabled=False, created_at=utcnow(), heartbeat_at=ahead))

    # --- calls ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, token: str, body: Any = None,
                 status: int | tuple = (200, 201, 202)) -> Any:
        r = call(self.w.api, method, V3 + path, token, body, HEADERS)
        wanted = status if isinstance(status, tuple) else (status,)
        assert r.status_code in wanted, f"{method} {path}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    def _member(self, path: str, body: Any) -> Any:
        return self._request("POST", path, self.w.member.token, body)

    def _admin(self, path: str, body: Any, method: str = "POST") -> Any:
        return self._request(method, path, self.w.cloud.admin_token, body)

    def _set(self, model: Any, ident: str, **columns: Any) -> None:
        self.db.write(lambda s: s.execute(sa.update(model).where(model.id == ident)
                                          .values(**columns)))

    # --- volumes and what hangs off them ---------------------------------------------------
    def volume(self, **attrs: Any) -> str:
        from onestack.volume.models.volumes import Volume

        attrs = {"size": 1, "name": unique("vol"), "metadata": {"k1": "v"}, **attrs}
        made = self._member("/volumes", {"volume": attrs})["volume"]
        self._set(Volume, made["id"], status="available",
                  provider_location=f"rbac/{made['id']}")
        return made["id"]

    def in_use(self, volume_id: str) -> dict:
        """The volume as an attach left it (begin_detaching wants it so); no body."""
        from onestack.volume.models.volumes import Volume

        self._set(Volume, volume_id, status="in-use", attach_status="attached")
        return {}

    def image_metadata(self, volume_id: str) -> dict:
        """The volume with the image metadata ``k2``; the body that unsets it."""
        self._member(f"/volumes/{volume_id}/action",
                     {"os-set_image_metadata": {"metadata": {"k2": "v"}}})
        return {"key": "k2"}

    def creating_snapshot(self, snapshot_id: str) -> dict:
        """The snapshot back in ``creating``, as a driver outside Cinder reports on; the
        body of its report."""
        from onestack.volume.models.snapshots import Snapshot

        self._set(Snapshot, snapshot_id, status="creating")
        return {"status": "available", "progress": "100%"}

    def volume_type(self, public: bool = True, specs: bool = True) -> str:
        """A fresh type (with the extra spec ``k1``), made by the admin."""
        made = self._admin("/types", {"volume_type": {"name": unique("vt"),
                                                      "os-volume-type-access:is_public":
                                                      public}})["volume_type"]
        if specs:
            self._admin(f"/types/{made['id']}/extra_specs", {"extra_specs": {"k1": "v"}})
        return made["id"]

    def shared_type(self) -> str:
        """One public type volumes retype to and groups hold."""
        if self._type is None:
            self._type = self.volume_type(specs=False)
        return self._type

    def encryption(self, type_id: str) -> str:
        return self._admin(f"/types/{type_id}/encryption", {"encryption": {
            "provider": "luks", "control_location": "front-end",
            "cipher": "aes-xts-plain64", "key_size": 256}})["encryption"]["encryption_id"]

    def qos_specs(self) -> str:
        return self._admin("/qos-specs", {"qos_specs": {"name": unique("qos"),
                                                        "k1": "v"}})["qos_specs"]["id"]

    def snapshot(self, volume_id: str | None = None) -> str:
        from onestack.volume.models.snapshots import Snapshot

        made = self._member("/snapshots", {"snapshot": {
            "volume_id": volume_id or self.volume(), "name": unique("snap"),
            "metadata": {"k1": "v"}}})["snapshot"]
        self._set(Snapshot, made["id"], status="available")
        return made["id"]

    def attachment(self) -> str:
        return self._member("/attachments", {"attachment": {
            "volume_uuid": self.volume(), "instance_uuid": new_uuid(),
            "connector": CONNECTOR}})["attachment"]["id"]

    def backup(self) -> str:
        from onestack.volume.models.backups import Backup
        from onestack.volume.models.volumes import Volume

        volume_id = self.volume()
        made = self._member("/backups", {"backup": {"volume_id": volume_id,
                                                    "name": unique("bk")}})["backup"]
        self._set(Backup, made["id"], status="available", size=1)
        self._set(Volume, volume_id, status="available")
        return made["id"]

    def backup_record(self) -> dict[str, str]:
        """An exported record of a backup of A's that was deleted since (so its import
        makes it again)."""
        from onestack.volume.models.backups import Backup

        backup_id = self.backup()
        record = self._request("GET", f"/backups/{backup_id}/export_record",
                               self.w.cloud.admin_token)["backup-record"]
        self.db.write(lambda s: s.execute(sa.delete(Backup).where(Backup.id == backup_id)))
        return record

    def transfer(self) -> str:
        made = self._member("/volume-transfers", {"transfer": {
            "volume_id": self.volume(), "name": unique("tr")}})["transfer"]
        self.auth_keys[made["id"]] = made["auth_key"]
        return made["id"]

    def group_type(self) -> str:
        made = self._admin("/group_types", {"group_type": {"name": unique("gt")}})
        gt = made["group_type"]["id"]
        self._admin(f"/group_types/{gt}/group_specs", {"group_specs": {"k1": "v"}})
        return gt

    def group(self) -> str:
        from onestack.volume.models.groups import Group

        made = self._member("/groups", self.group_body())["group"]
        self._set(Group, made["id"], status="available")
        return made["id"]

    def group_body(self) -> dict:
        return {"group": {"name": unique("grp"), "group_type": self.group_type(),
                          "volume_types": [self.shared_type()]}}

    def group_snapshot(self) -> str:
        from onestack.volume.models.groups import GroupSnapshot

        made = self._member("/group_snapshots", {"group_snapshot": {
            "group_id": self.group(), "name": unique("gs")}})["group_snapshot"]
        self._set(GroupSnapshot, made["id"], status="available")
        return made["id"]

    def message(self) -> str:
        from onestack.volume.service import messages

        return self.db.write(lambda s: messages.record(
            s, self.a, messages.Resource.VOLUME, new_uuid(), None,
            "An unknown error occurred.", "create volume"))


CONNECTOR = {"host": "rbac-compute", "initiator": "iqn.2004-10.org.example:rbac",
             "ip": "192.0.2.10", "platform": "x86_64", "os_type": "linux",
             "multipath": False}


def _platform(w: World) -> Any:
    return w.api.http._transport._asgi.app.owner.platform


def value(vw: VolumeWorld, method: str, path: str, name: str, done: dict[str, str]) -> str:
    if name == "project_id":
        return OWN_PROJECT
    if name == "volume_id":
        return vw.volume()
    if name == "type_id":
        if "/action" in path or path.endswith("/os-volume-type-access"):
            return vw.volume_type(public=False)
        return vw.volume_type()
    if name == "encryption_id":
        return vw.encryption(done["type_id"])
    if name == "key":
        if "/encryption/" in path:
            vw.encryption(done["type_id"])
            return "provider"
        return "k1"
    if name == "target_project":
        return vw.w.cloud.make_project()["id"] if method != "GET" else vw.a
    if name == "specs_id":
        return vw.qos_specs()
    if name == "snapshot_id":
        return vw.snapshot()
    if name == "attachment_id":
        return vw.attachment()
    if name == "backup_id":
        return vw.backup()
    if name == "transfer_id":
        return vw.transfer()
    if name == "group_id":
        return vw.group()
    if name == "group_snapshot_id":
        return vw.group_snapshot()
    if name == "group_type_id":
        return vw.group_type()
    if name == "spec_id":
        return "k1"
    if name == "tenant_id":
        if method in ("PUT", "DELETE"):
            return vw.w.cloud.make_project()["id"]  # A keeps its unlimited quotas
        return vw.a
    if name == "class_name":
        return "default"
    if name in ("host_name", "host"):
        return BACKEND.partition("#")[0]
    if name == "message_id":
        return vw.message()
    raise KeyError(name)


def query(vw: VolumeWorld, method: str, path: str, values: dict[str, str]) -> str:
    """A query string the admin's call needs (QoS association names a type)."""
    if path.endswith(("/associate", "/disassociate")):
        return f"?vol_type_id={vw.volume_type(specs=False)}"
    return ""


def body(vw: VolumeWorld, method: str, path: str, action: str,
         values: dict[str, str]) -> Any:
    """A body the admin's call would accept, so that a refusal is the policy's."""
    if action:
        maker = _ACTIONS.get(action)
        arg = maker(vw, values) if callable(maker) else maker
        return {action: arg if arg is not None else {}}
    rest = path[len(V3):].replace("/{project_id}", "", 1)
    maker = _BODIES.get(f"{method} {rest}")
    return maker(vw, values) if callable(maker) else maker


_ACTIONS: dict[str, Any] = {
    "os-extend": {"new_size": 2},
    "os-retype": lambda vw, v: {"new_type": vw.shared_type(), "migration_policy": "never"},
    "os-update_readonly_flag": {"readonly": True},
    "os-set_bootable": {"bootable": True},
    "revert": lambda vw, v: {"snapshot_id": vw.snapshot(v["volume_id"])},
    "os-attach": lambda vw, v: {"instance_uuid": new_uuid(), "mountpoint": "/dev/vdb",
                                "mode": "rw"},
    "os-initialize_connection": {"connector": CONNECTOR},
    "os-terminate_connection": {"connector": CONNECTOR},
    "os-volume_upload_image": lambda vw, v: {"image_name": unique("img"), "force": False,
                                             "disk_format": "raw",
                                             "container_format": "bare"},
    "os-set_image_metadata": {"metadata": {"k2": "v"}},
    "os-unset_image_metadata": lambda vw, v: vw.image_metadata(v["volume_id"]),
    "os-reset_status": {"status": "available"},
    "os-force_detach": {},
    "os-migrate_volume": {"host": SPARE},
    "addProjectAccess": lambda vw, v: {"project": vw.w.project_b["id"]},
    "removeProjectAccess": lambda vw, v: {"project": vw.w.project_b["id"]},
    "os-begin_detaching": lambda vw, v: vw.in_use(v["volume_id"]),
    "os-update_snapshot_status": lambda vw, v: vw.creating_snapshot(v["snapshot_id"]),
    "os-update_progress": "90%",  # ours (Cinder has none): the reset_status rule
    "os-complete": {},
    "delete": {"delete-volumes": False},
    "reset_status": {"status": "available"},  # groups and group snapshots
}


def _service_body(extra: dict[str, Any] | None = None) -> Callable[[VolumeWorld, dict], dict]:
    return lambda vw, v: {"host": SPARE.partition("#")[0], "binary": "cinder-volume",
                          **(extra or {})}


_BODIES: dict[str, Any] = {
    "POST /volumes": lambda vw, v: {"volume": {"size": 1, "name": unique("vol")}},
    "PUT /volumes/{volume_id}": {"volume": {"name": "renamed"}},
    "POST /volumes/{volume_id}/metadata": {"metadata": {"k2": "v"}},
    "PUT /volumes/{volume_id}/metadata": {"metadata": {"k1": "w"}},
    "PUT /volumes/{volume_id}/metadata/{key}": {"meta": {"k1": "w"}},
    "POST /types": lambda vw, v: {"volume_type": {"name": unique("vt")}},
    "PUT /types/{type_id}": {"volume_type": {"description": "changed"}},
    "POST /types/{type_id}/extra_specs": {"extra_specs": {"k2": "v"}},
    "PUT /types/{type_id}/extra_specs/{key}": {"k1": "w"},
    "POST /types/{type_id}/encryption": {"encryption": {
        "provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64",
        "key_size": 256}},
    "PUT /types/{type_id}/encryption/{encryption_id}": {"encryption": {"key_size": 512}},
    "PUT /default-types/{target_project}": lambda vw, v: {"default_type": {
        "volume_type": vw.shared_type()}},
    "POST /qos-specs": lambda vw, v: {"qos_specs": {"name": unique("qos"), "k1": "v"}},
    "PUT /qos-specs/{specs_id}": {"qos_specs": {"k1": "w"}},
    "PUT /qos-specs/{specs_id}/delete_keys": {"keys": ["k1"]},
    "POST /snapshots": lambda vw, v: {"snapshot": {"volume_id": vw.volume(),
                                                   "name": unique("snap")}},
    "PUT /snapshots/{snapshot_id}": {"snapshot": {"name": "renamed"}},
    "POST /snapshots/{snapshot_id}/metadata": {"metadata": {"k2": "v"}},
    "PUT /snapshots/{snapshot_id}/metadata": {"metadata": {"k1": "w"}},
    "PUT /snapshots/{snapshot_id}/metadata/{key}": {"meta": {"k1": "w"}},
    "POST /attachments": lambda vw, v: {"attachment": {
        "volume_uuid": vw.volume(), "instance_uuid": new_uuid(), "connector": CONNECTOR}},
    "PUT /attachments/{attachment_id}": {"attachment": {"connector": CONNECTOR}},
    "POST /backups": lambda vw, v: {"backup": {"volume_id": vw.volume(),
                                               "name": unique("bk")}},
    "POST /backups/import_record": lambda vw, v: {"backup-record": vw.backup_record()},
    "PUT /backups/{backup_id}": {"backup": {"name": "renamed"}},
    "POST /backups/{backup_id}/restore": {"restore": {"name": "restored"}},
    "POST /os-volume-transfer": lambda vw, v: {"transfer": {"volume_id": vw.volume()}},
    "POST /os-volume-transfer/{transfer_id}/accept": lambda vw, v: {"accept": {
        "auth_key": vw.auth_keys[v["transfer_id"]]}},
    "POST /volume-transfers": lambda vw, v: {"transfer": {"volume_id": vw.volume()}},
    "POST /volume-transfers/{transfer_id}/accept": lambda vw, v: {"accept": {
        "auth_key": vw.auth_keys[v["transfer_id"]]}},
    "POST /groups": lambda vw, v: vw.group_body(),
    "POST /groups/action": lambda vw, v: {"create-from-src": {
        "source_group_id": vw.group(), "name": unique("grp")}},
    "PUT /groups/{group_id}": {"group": {"name": "renamed"}},
    "POST /group_snapshots": lambda vw, v: {"group_snapshot": {"group_id": vw.group()}},
    "POST /group_types": lambda vw, v: {"group_type": {"name": unique("gt")}},
    "PUT /group_types/{group_type_id}": {"group_type": {"description": "changed"}},
    "POST /group_types/{group_type_id}/group_specs": {"group_specs": {"k2": "v"}},
    "PUT /group_types/{group_type_id}/group_specs/{spec_id}": {"k1": "w"},
    "PUT /os-quota-sets/{tenant_id}": {"quota_set": {"volumes": 50}},
    "PUT /os-quota-class-sets/{class_name}": {"quota_class_set": {"backups": 10}},
    "PUT /os-services/enable": _service_body(),
    "PUT /os-services/disable": _service_body(),
    "PUT /os-services/disable-log-reason": _service_body({"disabled_reason": "rbac"}),
    "PUT /os-services/freeze": lambda vw, v: {"host": SPARE.partition("@")[0]},
    "PUT /os-services/thaw": lambda vw, v: {"host": SPARE.partition("@")[0]},
    "PUT /os-services/failover_host": lambda vw, v: {"host": SPARE.partition("@")[0]},
    "PUT /os-services/failover": lambda vw, v: {"host": SPARE.partition("@")[0]},
    "PUT /os-services/get-log": {},
    "PUT /os-services/set-log": {"level": "INFO"},
    "POST /os-volume-manage": {"volume": {"host": BACKEND, "ref": {
        "source-name": "rbac-missing"}}},
    "POST /os-snapshot-manage": lambda vw, v: {"snapshot": {
        "volume_id": vw.volume(), "ref": {"source-name": "rbac-missing"}}},
}
