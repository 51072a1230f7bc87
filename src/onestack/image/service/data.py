"""Image data: upload (``PUT …/file``), download (``GET …/file``, with ranges), stage
(``PUT …/stage``) and import (``POST …/import``: ``glance-direct``, ``web-download``).

Bytes stream from the request straight into the store, chunk by chunk; size, md5 and sha512
are computed on the way, and the format inspector (``image.inspector``) reads the head as
it passes, refusing unsafe or mislabelled content before it is stored. The image row
moves through its statuses in short transactions around the streaming, never during it.
"""
from __future__ import annotations

import errno
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import (BadRequest, Conflict, Forbidden, Gone, NotFound,
                                  OpenStackError, PayloadTooLarge)
from onestack.image import models as m
from onestack.image import states
from onestack.image.drivers.base import DataNotFound
from onestack.image.inspector import FormatRefused, Inspection
from onestack.image.service.common import Deps, set_properties, visible_image
from onestack.image.service.quotas import COUNT_UPLOADING, SIZE_TOTAL, STAGE_TOTAL, Quotas

log = logging.getLogger(__name__)
HASH_ALGO = "sha512"


class RangeNotSatisfiable(OpenStackError):
    status, title = 416, "Requested Range Not Satisfiable"
    default_message = "The requested range is not satisfiable."


class _TooBig(Exception):
    """The stream passed the byte budget (size cap or quota)."""


class _BodyError(Exception):
    """Reading the request body failed (client went away, malformed chunking …)."""


class _Budget:
    """Passes chunks through, failing once more than ``limit`` bytes went by."""

    def __init__(self, chunks: Iterable[bytes], limit: int | None) -> None:
        self._chunks = chunks
        self.limit = limit
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        source = iter(self._chunks)
        while True:
            try:
                chunk = next(source)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - whatever broke the body
                raise _BodyError(str(exc) or type(exc).__name__) from exc
            self.count += len(chunk)
            if self.limit is not None and self.count > self.limit:
                raise _TooBig()
            yield chunk


@dataclass
class Download:
    status: int  # 200, 204 (no data) or 206 (a range)
    headers: dict[str, str]
    chunks: Iterator[bytes] | None


def resolve_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=a-b`` (one range) → (offset, length); None for the whole image."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        raise RangeNotSatisfiable("Only one range of unit 'bytes' is supported.")
    first, dash, last = spec.strip().partition("-")
    try:
        if not dash:
            raise ValueError(spec)
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise RangeNotSatisfiable()
            start, end = max(0, size - suffix), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError as exc:
        raise RangeNotSatisfiable(f"Invalid range: {header}") from exc
    if start < 0 or start >= size or end < start:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    end = min(end, size - 1)
    return start, end - start + 1


class ImageData:
    def __init__(self, deps: Deps, quotas: Quotas) -> None:
        self.deps = deps
        self.quotas = quotas

    # --- upload -------------------------------------------------------------------------
    def upload(self, ctx: RequestContext, image_id: str, chunks: Iterable[bytes],
               content_length: int | None = None) -> None:
        """queued → saving → active; killed if the bytes could not be stored, back to
        queued when they were refused (size cap, quota, format inspection)."""
        budget, disk_format = self._begin(ctx, image_id, content_length, states.SAVING)
        capture = Inspection(_Budget(chunks, budget), disk_format)
        try:
            size, md5, sha512 = self.deps.store.write(image_id, capture)
        except BaseException as exc:
            self.deps.store.delete(image_id)
            refused = isinstance(exc, (_TooBig, FormatRefused))
            self._revert(image_id, states.SAVING, states.QUEUED if refused else states.KILLED)
            _reraise(exc, budget)

        def finish(s: Session) -> bool:
            row = s.get(m.Image, image_id)
            if row is None or row.status != states.SAVING:
                return False
            row.status, row.reserved_bytes = states.ACTIVE, None
            row.size, row.checksum = size, md5
            row.os_hash_algo, row.os_hash_value = HASH_ALGO, sha512
            row.virtual_size = capture.virtual_size()
            row.stores = self.deps.store.name
            row.updated_at = utcnow()
            return True

        if not self.deps.db.write(finish):
            self.deps.store.delete(image_id)
            raise Gone(f"Image {image_id} could not be found after upload. The image may "
                       "have been deleted during the upload.")

    def _begin(self, ctx: RequestContext, image_id: str, content_length: int | None,
               to: str) -> tuple[int, str | None]:
        """Check and claim the image for an upload (``to`` is saving or uploading); the
        byte budget of the stream and the declared disk format."""
        staging = to == states.UPLOADING

        def work(s: Session) -> tuple[int, str | None]:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:import_image" if staging else "image:upload_image",
                              ctx, row)
            if not staging and (not row.disk_format or not row.container_format):
                raise BadRequest("Properties disk_format, container_format must be set "
                                 "prior to saving data.")
            if row.status != states.QUEUED:
                raise Conflict(f"Image status transition from {row.status} to {to} is not "
                               "allowed")
            if row.owner:
                self.quotas.check_count(s, row.owner, COUNT_UPLOADING)
            budget = self.quotas.reserve(s, row, STAGE_TOTAL if staging else SIZE_TOTAL,
                                         content_length, self.deps.size_cap)
            row.status = to
            row.updated_at = utcnow()
            return budget, row.disk_format

        return self.deps.db.write(work)

    def _revert(self, image_id: str, expected: str, to: str) -> None:
        def work(s: Session) -> None:
            row = s.get(m.Image, image_id)
            if row is not None and row.status == expected:
                row.status, row.reserved_bytes = to, None
                row.updated_at = utcnow()

        self.deps.db.write(work)

    # --- download -----------------------------------------------------------------------
    def download(self, ctx: RequestContext, image_id: str, range_header: str | None = None
                 ) -> Download:
        def work(s: Session) -> m.Image:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:download_image", ctx, row)
            if row.status == states.DEACTIVATED and not self.deps.is_admin(ctx):
                raise Forbidden("The requested image has been deactivated. Image data "
                                "download is forbidden.")
            return row

        row = self.deps.db.read(work)
        if row.status not in (states.ACTIVE, states.DEACTIVATED) or row.size is None:
            return Download(204, {}, None)
        size = row.size
        if size == 0:  # an empty image (a volume-backed server's snapshot): no store data
            return Download(200, {"Content-Length": "0", **(
                {"Content-MD5": row.checksum} if row.checksum else {})}, iter(()))
        wanted = resolve_range(range_header, size) if size else None
        offset, length = wanted or (0, size)
        try:
            chunks = self.deps.store.read(image_id, offset, length)
        except DataNotFound as exc:
            raise NotFound(f"Image data for {image_id} was not found in the store.") from exc
        headers = {"Content-Length": str(length)}
        if wanted is None:
            if row.checksum:
                headers["Content-MD5"] = row.checksum
            return Download(200, headers, chunks)
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
        return Download(206, headers, chunks)

    # --- interoperable import: stage + glance-direct ------------------------------------
    def stage(self, ctx: RequestContext, image_id: str, chunks: Iterable[bytes],
              content_length: int | None = None) -> None:
        """queued → uploading; the bytes go to the staging store."""
        if "glance-direct" not in self.deps.import_methods:
            raise NotFound("The glance-direct import method is not enabled.")
        budget, disk_format = self._begin(ctx, image_id, content_length, states.UPLOADING)
        inspected = Inspection(_Budget(chunks, budget), disk_format)
        try:
            size, _, _ = self.deps.staging.write(image_id, inspected)
        except BaseException as exc:
            self.deps.staging.delete(image_id)
            self._revert(image_id, states.UPLOADING, states.QUEUED)
            _reraise(exc, budget)

        def finish(s: Session) -> bool:
            row = s.get(m.Image, image_id)
            if row is None or row.status != states.UPLOADING:
                return False
            row.staged_size, row.reserved_bytes = size, None
            row.updated_at = utcnow()
            return True

        if not self.deps.db.write(finish):
            self.deps.staging.delete(image_id)
            raise Gone(f"Image {image_id} could not be found after staging. The image may "
                       "have been deleted meanwhile.")

    def import_image(self, ctx: RequestContext, image_id: str, body: Any, *,
                     wait: bool = False) -> str:
        """``glance-direct`` runs to completion before answering (its bytes are local);
        ``web-download`` answers at once and fetches afterwards (``deps.run_later``)
        unless ``wait``. Either way a failure fails the task and requeues the image.
        Returns the task id."""
        method, stores = self._parse_import(body)
        uri = self.deps.web.check(body["method"].get("uri")) \
            if method == "web-download" else None
        task_id = str(uuid.uuid4())

        def begin(s: Session) -> tuple[int | None, str | None]:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:import_image", ctx, row)
            _check_importable(row, method)
            want = None if uri else row.staged_size
            budget = self.quotas.reserve(s, row, SIZE_TOTAL, want, self.deps.size_cap)
            _record_import(s, ctx, row, task_id, body, stores)
            return (budget if uri else None), row.disk_format

        budget, disk_format = self.deps.db.write(begin)
        if uri is None:
            self._import_from(image_id, task_id, lambda: self.deps.staging.read(image_id),
                              None, disk_format)
            return task_id
        job = functools.partial(self._import_from, image_id, task_id,
                                lambda: self.deps.web.open(uri), budget, disk_format)
        if wait:
            job()
        else:
            self.deps.run_later(job)
        return task_id

    def _import_from(self, image_id: str, task_id: str,
                     source: Callable[[], Iterable[bytes]], budget: int | None,
                     disk_format: str | None) -> None:
        """Store what ``source`` yields as the image, through the budget and the format
        inspector; the task and the image record the outcome."""
        try:
            capture = Inspection(_Budget(source(), budget), disk_format)
            size, md5, sha512 = self.deps.store.write(image_id, capture)
        except Exception as exc:  # noqa: BLE001 - any failure fails the task, not the API
            log.warning("import of image %s failed: %s", image_id, exc)
            self.deps.store.delete(image_id)
            self._finish_import(image_id, task_id, None, _import_error(exc, budget))
            return
        self._finish_import(image_id, task_id, (size, md5, sha512, capture.virtual_size()),
                            "")

    def _finish_import(self, image_id: str, task_id: str,
                       result: tuple[int, str, str, int | None] | None, error: str) -> None:
        store = self.deps.store

        def work(s: Session) -> bool:
            now = utcnow()
            task = s.get(m.Task, task_id)
            row = s.get(m.Image, image_id)
            alive = row is not None and row.status == states.IMPORTING
            if alive and result is not None:
                row.status = states.ACTIVE
                row.size, row.checksum, row.os_hash_value = result[0], result[1], result[2]
                row.virtual_size = result[3]
                row.os_hash_algo = HASH_ALGO
                row.stores = store.name
                failed = ""
            elif alive:
                row.status = states.QUEUED
                failed = store.name
            if alive:
                row.staged_size, row.reserved_bytes = None, None
                row.updated_at = now
                set_properties(s, image_id, {"os_glance_import_task": None,
                                             "os_glance_importing_to_stores": "",
                                             "os_glance_failed_import": failed})
            if task is not None:
                ok = alive and result is not None
                task.status = states.TASK_SUCCESS if ok else states.TASK_FAILURE
                task.message = "" if ok else (error or "The image was deleted during import.")
                task.result = {"image_id": image_id} if ok else None
                task.updated_at = now
            return alive

        alive = self.deps.db.write(work)
        self.deps.staging.delete(image_id)
        if not alive:
            store.delete(image_id)

    def _parse_import(self, body: Any) -> tuple[str, tuple[str, ...]]:
        if not isinstance(body, dict) or not isinstance(body.get("method"), dict):
            raise BadRequest("Import requests need a 'method' object naming the import "
                             "method.")
        method = body["method"].get("name")
        if method not in ("glance-direct", "web-download", "copy-image", "glance-download"):
            raise BadRequest(f"Unknown import method name '{method}'.")
        if method not in self.deps.import_methods:
            raise BadRequest(f"Import method {method} is not available in this cloud; "
                             f"available: {', '.join(self.deps.import_methods)}.")
        stores = body.get("stores")
        if stores is None:
            return method, self.deps.stores
        if not isinstance(stores, list) or not all(isinstance(x, str) for x in stores):
            raise BadRequest("'stores' must be a list of store identifiers.")
        unknown = [x for x in stores if x not in self.deps.stores]
        if unknown:
            raise Conflict(f"Unknown stores: {', '.join(unknown)}")
        return method, tuple(stores) or self.deps.stores


def _check_importable(row: m.Image, method: str) -> None:
    if method == "web-download" and row.status != states.QUEUED:
        raise Conflict(f"Image {row.id} is not queued (it is {row.status}); the "
                       "'web-download' import method needs a queued image.")
    if method != "web-download" and (row.status != states.UPLOADING
                                     or row.staged_size is None):
        raise Conflict(f"Image {row.id} has no staged data; stage it with PUT "
                       f"/v2/images/{row.id}/stage before using the '{method}' "
                       "import method.")
    if not row.disk_format or not row.container_format:
        raise Conflict("'disk_format' and 'container_format' need to be set before import.")


def _record_import(s: Session, ctx: RequestContext, row: m.Image, task_id: str, body: Any,
                   stores: tuple[str, ...]) -> None:
    """The image is importing; its task (``api_image_import``) is processing."""
    now = utcnow()
    row.status = states.IMPORTING
    row.updated_at = now
    set_properties(s, row.id, {"os_glance_import_task": task_id,
                               "os_glance_importing_to_stores": ",".join(stores),
                               "os_glance_failed_import": ""})
    s.add(m.Task(id=task_id, type="api_image_import", status=states.TASK_PROCESSING,
                 owner=ctx.project_id or None, image_id=row.id, request_id=ctx.request_id,
                 user_id=ctx.user_id, input={"image_id": row.id, "import_req": body,
                                             "backend": list(stores)},
                 result=None, message="", created_at=now, updated_at=now))


def _import_error(exc: BaseException, budget: int | None) -> str:
    if isinstance(exc, _TooBig):
        return f"Image exceeds the storage quota or size limit ({budget} bytes)."
    return str(exc) or type(exc).__name__


def _reraise(exc: BaseException, budget: int) -> None:
    """Raise the API error for a failed upload (``exc`` is being handled)."""
    if isinstance(exc, _TooBig):
        raise PayloadTooLarge(f"Image exceeds the storage quota or size limit "
                              f"({budget} bytes).") from exc
    if isinstance(exc, FormatRefused):
        raise BadRequest(str(exc)) from exc
    if isinstance(exc, _BodyError):
        raise BadRequest(f"Error reading the image data from the request: {exc}") from exc
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        raise PayloadTooLarge("Image storage media is full.") from exc
    if isinstance(exc, OpenStackError) or not isinstance(exc, Exception):
        raise exc
    log.error("storing image data failed: %r", exc)
    raise OpenStackError("Error storing image data.") from exc
