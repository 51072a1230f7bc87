"""Image and member statuses and the moves between them.

::

    queued ──upload──▶ saving ──done──▶ active ◀──reactivate── deactivated
      │  ▲               └──failed──▶ killed       └──deactivate──▶ ┘
      │  └──(quota/size refusal, import failure)
      └──stage──▶ uploading ──import──▶ importing ──done──▶ active
"""
from __future__ import annotations

QUEUED = "queued"
SAVING = "saving"
ACTIVE = "active"
KILLED = "killed"
DEACTIVATED = "deactivated"
UPLOADING = "uploading"
IMPORTING = "importing"
ALL = (QUEUED, SAVING, ACTIVE, KILLED, DEACTIVATED, UPLOADING, IMPORTING)

# Statuses in which bytes are on their way in (the ``image_count_uploading`` quota).
IN_FLIGHT = (SAVING, UPLOADING, IMPORTING)

VISIBILITIES = ("public", "private", "shared", "community")
MEMBER_STATUSES = ("pending", "accepted", "rejected")

TASK_PENDING = "pending"
TASK_PROCESSING = "processing"
TASK_SUCCESS = "success"
TASK_FAILURE = "failure"
