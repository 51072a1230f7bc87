"""The action steps that involve images: rebuild (from an image the caller can see, with
the same field checks as a boot — F13), createImage, createBackup and shelve (each
registers the snapshot image the host agent uploads)."""
from __future__ import annotations

import secrets

from onestack.compute import images
from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.service.actions import Step
from onestack.compute.service.server_metadata import check_items_quota
from onestack.compute.service.servers import ServerView, normalise_ip, server_groups_of
from onestack.core.errors import BadRequest


def _image_ref(ref: str) -> str:
    return str(ref).rstrip("/").rsplit("/", 1)[-1]


def _rebuild_key(step: Step, key_name: str | None) -> None:
    inst = step.inst
    if key_name is None:
        inst.key_name, inst.key_data = None, None
        return
    kp = step.s.get(cm.Keypair, (step.ctx.user_id, key_name))
    if kp is None:
        raise BadRequest("Invalid key_name provided.")
    inst.key_name, inst.key_data = key_name, kp.public_key


def rebuild_image(step: Step) -> None:
    """The image must be one the caller can see (checked before the server's state)."""
    image_ref = _image_ref(step.args["imageRef"])
    image = images.find_image(step.s, image_ref, step.ctx.project_id,
                              step.deps.is_admin(step.ctx))
    if image is None:
        raise BadRequest(f"Image {image_ref} could not be found.")


def rebuild(step: Step) -> None:
    args, inst = step.args, step.inst
    image_ref = _image_ref(args["imageRef"])
    if "metadata" in args:
        check_items_quota(step.s, inst.project_id, args["metadata"])
        inst.metadata_ = dict(args["metadata"])
    inst.image_ref = image_ref
    if "name" in args:
        inst.name = args["name"]
    for key, attr in (("accessIPv4", "access_ip_v4"), ("accessIPv6", "access_ip_v6")):
        if key in args:
            setattr(inst, attr, normalise_ip(args[key]))
    if "key_name" in args and step.version >= (2, 54):
        _rebuild_key(step, args["key_name"])
    if "user_data" in args and step.version >= (2, 57):
        inst.user_data = args["user_data"]
    if "description" in args and step.version >= (2, 19):
        inst.description = args["description"]
    if args.get("OS-DCF:diskConfig"):
        inst.disk_config = args["OS-DCF:diskConfig"]
    if "hostname" in args and step.version >= (2, 90):
        inst.system_metadata = {**(inst.system_metadata or {}), "hostname": args["hostname"]}
    inst.task_state = st.REBUILDING
    step.data = (ServerView(inst, None, server_groups_of(step.s, inst.id)),
                 args.get("adminPass") or secrets.token_urlsafe(9))


def create_image(step: Step) -> None:
    args, inst = step.args, step.inst
    if not args["name"].strip():
        raise BadRequest("createImage requires a 'name' of 1 to 255 characters.")
    image_id = images.create_snapshot(step.s, inst, args["name"], args.get("metadata") or {},
                                      step.ctx.project_id)
    inst.snapshot_image_id, inst.backup_type, inst.backup_rotation = image_id, None, None
    inst.task_state = st.IMAGE_SNAPSHOT
    step.data = image_id


def create_backup(step: Step) -> None:
    args, inst = step.args, step.inst
    from onestack.compute.service.volume_backed import is_volume_backed

    if is_volume_backed(step.s, inst.id):
        raise BadRequest("Backup is not supported for volume-backed instances.")
    rotation = int(args["rotation"])
    props = {**(args.get("metadata") or {}), "image_type": "backup",
             "backup_type": args["backup_type"]}
    image_id = images.create_snapshot(step.s, inst, args["name"], props, inst.project_id)
    # the host agent rotates once the backup is stored (as Nova's compute manager does)
    inst.snapshot_image_id = image_id
    inst.backup_type, inst.backup_rotation = args["backup_type"], rotation
    inst.task_state = st.IMAGE_SNAPSHOT
    step.data = image_id


def shelve(step: Step) -> None:
    inst = step.inst
    image_id = images.create_snapshot(step.s, inst, inst.name + "-shelved", {},
                                      inst.project_id)
    inst.shelved_image_id = image_id
    inst.task_state = st.SHELVING
