"""Volume, snapshot, backup and attachment statuses as Cinder shows them.

The API writes the *wanted* transition as a status (``creating``, ``deleting``,
``extending``, …) in the same transaction that validates the request; the volume agent of the
row's backend host finds rows in those statuses (level-triggered: a lost wake-up or a killed
agent only delays the work) and moves them on. Rows in a busy status whose agent died are
picked up again by the next agent pass; a step that cannot finish ends in ``error`` (or
``error_deleting``, …) with a user message, never stuck.
"""
from __future__ import annotations

# volumes
CREATING = "creating"
AVAILABLE = "available"
RESERVED = "reserved"
ATTACHING = "attaching"
IN_USE = "in-use"
DETACHING = "detaching"
DELETING = "deleting"
EXTENDING = "extending"
DOWNLOADING = "downloading"  # creating from an image
UPLOADING = "uploading"  # copying to an image
RETYPING = "retyping"
BACKING_UP = "backing-up"
RESTORING_BACKUP = "restoring-backup"
MAINTENANCE = "maintenance"
ERROR = "error"
ERROR_DELETING = "error_deleting"
ERROR_EXTENDING = "error_extending"
ERROR_RESTORING = "error_restoring"
AWAITING_TRANSFER = "awaiting-transfer"

# what the volume agent acts on (the API never leaves a row in one of these without work)
VOLUME_WORK = (CREATING, DOWNLOADING, DELETING, EXTENDING, UPLOADING, RETYPING)

# attach_status of a volume / attach_status of one attachment
DETACHED = "detached"
ATTACHED = "attached"

# snapshots (creating, available, deleting, error, error_deleting as for volumes)
SNAPSHOT_WORK = (CREATING, DELETING)

# backups
BACKUP_RESTORING = "restoring"
BACKUP_WORK = (CREATING, DELETING, BACKUP_RESTORING)
