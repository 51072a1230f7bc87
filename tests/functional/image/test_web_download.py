"""The ``web-download`` import and the legacy ``/v2/tasks`` import (issue 6, item 7):
offered in discovery, fetched only from allowed hosts (none by default: a clear 400),
through the size cap and the format inspector, without following redirects, and failing
the task cleanly — image back to ``queued`` — when the source is unreachable or stalls.
The sources are a tiny HTTP server on 127.0.0.1 started here."""
from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest
from onestack.core.policy import Policy
from onestack.image import policies
from onestack.image.api.common import Glance
from onestack.image.drivers.memory import MemoryStore
from onestack.image.service.common import Deps
from onestack.image.service.web_download import WebSource, parse_hosts
from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status

DISK = bytes(range(256)) * 1024  # 256 KiB of raw disk
EVIL = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 512, 11, 16, 1 << 30) + b"\0" * 600
ADMIN = RequestContext(request_id="req-web", user_id="admin", project_id="padmin",
                       roles=["admin", "member", "reader"])


class Source(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/disk.raw":
            self._send(DISK)
        elif self.path == "/evil.qcow2":
            self._send(EVIL)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
        elif self.path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(DISK)))
            self.end_headers()
            self.wfile.write(DISK[:1000])
            self.wfile.flush()
            time.sleep(3)
        else:
            self.send_error(404)

    def _send(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Source)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def g(db_url: str, source: str, closed_port: int) -> Iterator[Glance]:
    db = Database(db_url)
    policy = Policy()
    policy.register(policies.RULES)
    web = WebSource(parse_hosts(f"{source.split('//')[1]}, 127.0.0.1:{closed_port}"),
                    timeout=0.5)
    yield Glance.build(Deps(db, policy, MemoryStore("file"), MemoryStore("staging"),
                            web=web, run_later=lambda job: job()))
    db.dispose()


def queued(g: Glance, disk_format: str = "raw") -> str:
    return g.images.create(ADMIN, {"disk_format": disk_format,
                                   "container_format": "bare"})["id"]


def web(uri: str) -> dict:
    return {"method": {"name": "web-download", "uri": uri}}


def outcome(g: Glance, image_id: str) -> tuple[dict, dict]:
    return g.images.show(ADMIN, image_id), g.tasks.for_image(ADMIN, image_id)[-1]


def test_an_allowed_source_is_imported(g, source):
    image_id = queued(g)
    g.data.import_image(ADMIN, image_id, web(source + "/disk.raw"))
    image, task = outcome(g, image_id)
    assert image["status"] == "active" and image["size"] == len(DISK)
    assert task["status"] == "success" and task["result"] == {"image_id": image_id}
    assert b"".join(g.deps.store.read(image_id)) == DISK


@pytest.mark.parametrize("path, words", [
    ("/evil.qcow2", "backing file"), ("/moved", "redirects are not followed"),
    ("/missing", "HTTP 404"), ("/stall", "timed out")])
def test_a_bad_source_fails_the_task_and_requeues_the_image(g, source, path, words):
    image_id = queued(g)
    started = time.monotonic()
    g.data.import_image(ADMIN, image_id, web(source + path))
    assert time.monotonic() - started < 2.5  # the 0.5 s stall timeout, not the 3 s stall
    image, task = outcome(g, image_id)
    assert image["status"] == "queued" and image["os_glance_failed_import"] == "file"
    assert task["status"] == "failure" and words in task["message"], task["message"]
    assert image_id not in g.deps.store.blobs


def test_an_unreachable_host_and_the_size_cap_fail_cleanly(g, source, closed_port):
    image_id = queued(g)
    g.data.import_image(ADMIN, image_id, web(f"http://127.0.0.1:{closed_port}/x.raw"))
    image, task = outcome(g, image_id)
    assert image["status"] == "queued" and task["status"] == "failure"
    assert "Could not fetch" in task["message"]
    g.deps.size_cap = 1000
    g.data.import_image(ADMIN, image_id, web(source + "/disk.raw"))
    image, task = outcome(g, image_id)
    assert image["status"] == "queued" and "size limit" in task["message"]


def test_hosts_not_allowed_are_refused_up_front(g, source):
    image_id = queued(g)
    for uri in ("http://example.com/disk.raw", "file:///etc/passwd",
                "ftp://127.0.0.1/x", source.replace("127.0.0.1", "localhost") + "/disk.raw"):
        with pytest.raises(BadRequest, match="does not pass filtering"):
            g.data.import_image(ADMIN, image_id, web(uri))
    assert g.images.show(ADMIN, image_id)["status"] == "queued"
    assert g.tasks.for_image(ADMIN, image_id) == []


def test_legacy_import_task_fetches_through_the_same_path(g, source):
    task = g.tasks.create(ADMIN, {"type": "import", "input": {
        "import_from": source + "/disk.raw", "import_from_format": "raw",
        "image_properties": {"disk_format": "raw", "container_format": "bare"}}})
    done = g.tasks.show(ADMIN, task["id"])
    assert done["status"] == "success", done["message"]
    assert g.images.show(ADMIN, done["result"]["image_id"])["size"] == len(DISK)
    bad = g.tasks.create(ADMIN, {"type": "import", "input": {
        "import_from": source + "/evil.qcow2", "import_from_format": "qcow2",
        "image_properties": {"disk_format": "qcow2", "container_format": "bare"}}})
    failed = g.tasks.show(ADMIN, bad["id"])
    assert failed["status"] == "failure" and "backing file" in failed["message"]


def test_by_default_no_host_is_allowed(glance, owner):
    methods = assert_status(glance.get("/v2/info/import", token=owner.token), 200)
    assert "web-download" in methods["import-methods"]["value"]
    image = glance.create(owner.token, disk_format="raw", container_format="bare")
    response = glance.post(f"/v2/images/{image['id']}/import", token=owner.token,
                           json=web("http://127.0.0.1:9/disk.raw"))
    assert_glance_fault(response, 400, "allows no host")
    assert glance.show(owner.token, image["id"])["status"] == "queued"


def test_the_setting_allows_a_host_end_to_end(make_api, owner, source):
    api = make_api(image_web_download_hosts=source.split("//")[1])
    h = {"X-Auth-Token": owner.token}
    image = api.http.post("/image/v2/images", headers=h, json={
        "disk_format": "raw", "container_format": "bare"}).json()
    response = api.http.post(f"/image/v2/images/{image['id']}/import", headers=h,
                             json=web(source + "/disk.raw"))
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown = api.http.get(f"/image/v2/images/{image['id']}", headers=h).json()
        if shown["status"] in ("active", "queued"):
            break
        time.sleep(0.05)
    assert shown["status"] == "active" and shown["size"] == len(DISK)
