"""Hostile request shapes answer 400 with the owning service's fault body, never a 500:
JSON nested 100,000 deep (also on the unauthenticated token issue), lone surrogates, NaN and
Infinity, thousands of query parameters, and a microversion header thousands of digits long.
"""
from __future__ import annotations

import json
import time
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from tests.support.api import REQUEST_ID, Api, assert_fault
from tests.support.identity import Cloud, Member, unique

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_IN_OBJECT = '{"auth": ' + "[" * 100_000 + "]" * 100_000 + "}"


def send(api: Api, method: str, url: str, token: str = "", content: str | bytes | None = None,
         headers: dict[str, str] | None = None, params: Any = None) -> httpx.Response:
    """A request to any service's full path (``api.get`` prefixes ``/identity``)."""
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token:
        hdrs["X-Auth-Token"] = token
    response = api.http.request(method, url, content=content, headers=hdrs, params=params)
    assert REQUEST_ID.match(response.headers.get("x-openstack-request-id", "")), response
    return response


def assert_nova_bad_request(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text[:500]
    fault = response.json()["badRequest"]
    assert fault["code"] == 400 and fault["message"].strip()
    return fault["message"]


def assert_placement_bad_request(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text[:500]
    (error,) = response.json()["errors"]
    assert error["status"] == 400 and error["detail"].strip()
    return error["detail"]


def assert_glance_bad_request(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "400 Bad Request" in response.text


# --- nesting ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [DEEP, DEEP_IN_OBJECT])
def test_deep_json_on_unauthenticated_token_issue(api: Api, raw: str):
    assert_fault(api.post("/v3/auth/tokens", content=raw), 400)


def test_deep_json_on_every_service(api: Api, cloud: Cloud, member: Member):
    assert_fault(api.post("/v3/projects", token=cloud.admin_token, content=DEEP), 400)
    assert_nova_bad_request(send(api, "POST", "/compute/v2.1/servers", member.token,
                                 '{"server": ' + DEEP + "}"))
    assert_glance_bad_request(send(api, "POST", "/image/v2/images", member.token,
                                   '{"name": ' + DEEP + "}"))
    assert_placement_bad_request(send(api, "POST", "/placement/resource_providers",
                                      cloud.admin_token, '{"name": ' + DEEP + "}"))


def test_moderate_nesting_still_parses(api: Api, cloud: Cloud):
    """Depth alone is no fault: a body 30 levels deep reaches the handler (which refuses
    the project for its shape, not for its depth)."""
    nested = "[" * 30 + "]" * 30
    message = assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                                    content='{"project": {"name": "x", "tags": ' + nested
                                            + "}}"), 400)
    assert "nested" not in message


# --- strings and numbers ---------------------------------------------------------------

def test_lone_surrogate_in_names(api: Api, cloud: Cloud, member: Member):
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "a\\ud800b"}}'), 400, "surrogate")
    assert_glance_bad_request(send(api, "POST", "/image/v2/images", member.token,
                                   '{"name": "x\\ud800"}'))
    assert_placement_bad_request(send(api, "POST", "/placement/resource_providers",
                                      cloud.admin_token, '{"name": "\\udfff"}'))
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "n", "\\ud800": 1}}'), 400,
                 "surrogate")


def test_surrogate_pair_is_a_character(api: Api, cloud: Cloud):
    response = api.post("/v3/projects", token=cloud.admin_token,
                        content='{"project": {"name": "smile-\\ud83d\\ude00-%s"}}'
                                % unique())
    assert response.status_code == 201, response.text
    assert response.json()["project"]["name"].startswith("smile-\U0001F600-")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers(api: Api, cloud: Cloud, number: str):
    """JSON has no such numbers; a project keeps unknown attributes, so without the check
    one would be stored and rendered back as invalid JSON."""
    name = unique("nan")
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "%s", "weight": %s}}' % (name, number)),
                 400, number)
    assert api.get("/v3/projects", token=cloud.admin_token,
                   params={"name": name}).json()["projects"] == []
    assert_fault(api.post("/v3/auth/tokens", content='{"auth": {"x": %s}}' % number), 400)


# --- query and headers -----------------------------------------------------------------

def test_two_thousand_query_parameters(api: Api, cloud: Cloud, member: Member):
    params = [(f"p{i}", "x") for i in range(2000)]
    assert_fault(api.get("/v3/projects", token=cloud.admin_token, params=params), 400,
                 "query parameters")
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/servers", member.token,
                                 params=[("tags-any", f"t{i}") for i in range(2000)]))


def test_a_few_hundred_query_parameters_pass(api: Api, cloud: Cloud):
    params = [("name", "nothing-like-this")] + [(f"p{i}", "x") for i in range(200)]
    response = api.get("/v3/projects", token=cloud.admin_token, params=params)
    assert response.status_code == 200, response.text[:300]


def test_overlong_version_headers(api: Api, cloud: Cloud, member: Member):
    digits = "2." + "1" * 5000
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/flavors", member.token,
                                 headers={"OpenStack-API-Version": "compute " + digits}))
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/flavors", member.token,
                                 headers={"X-OpenStack-Nova-API-Version": digits}))
    assert_placement_bad_request(send(api, "GET", "/placement/resource_providers",
                                      cloud.admin_token,
                                      headers={"OpenStack-API-Version": "placement " +
                                               "1." + "9" * 5000}))
    assert_fault(api.get("/v3/projects", token=cloud.admin_token,
                         headers={"OpenStack-API-Version": "identity " + "3" * 100}), 400)


def test_ordinary_version_header_passes(api: Api, member: Member):
    response = send(api, "GET", "/compute/v2.1/flavors", member.token,
                    headers={"OpenStack-API-Version": "compute 2.96"})
    assert response.status_code == 200, response.text[:300]



# --- bodies that stop arriving ---------------------------------------------------------

IDLE = 0.5  # the body idle timeout of the apps below


@pytest.fixture
def stall_apps(db_url: str, tmp_path, monkeypatch):
    """``stall_apps(idle)``: another app over the same database, with the body idle timeout
    ``idle``; its images go to a temporary directory."""
    from onestack.core.db import Database
    from onestack.server import build_app
    from tests.functional.conftest import settings_for

    monkeypatch.setenv("ONESTACK_IMAGE_DIR", str(tmp_path / "images"))
    opened: list[Database] = []

    def make(idle: float = IDLE):
        db = Database(db_url)
        opened.append(db)
        return build_app(settings_for(db_url, body_idle_timeout=idle), db).asgi

    try:
        yield make
    finally:
        for db in opened:
            db.dispose()


async def raw_request(app, method: str, path: str, token: str = "",
                      announced: int = 0, sent: bytes = b"") -> tuple[int, bytes]:
    """One request straight into the ASGI app: ``announced`` bytes of body declared,
    ``sent`` delivered, then (if that was less) silence from the client for ever."""
    headers = [(b"host", b"onestack.test"), (b"content-length", str(announced).encode()),
               (b"content-type", b"application/octet-stream" if "/file" in path
                else b"application/json")]
    if token:
        headers.append((b"x-auth-token", token.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 40000), "server": ("onestack.test", 80)}
    pending = [sent]

    async def receive():
        if pending:
            body = pending.pop()
            return {"type": "http.request", "body": body, "more_body": len(body) < announced}
        await anyio.sleep_forever()

    messages = []

    async def send(message):
        messages.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in messages
                            if m["type"] == "http.response.body")


def queued_image(api: Api, token: str) -> str:
    response = send(api, "POST", "/image/v2/images", token, json.dumps(
        {"name": unique("stall"), "disk_format": "raw", "container_format": "bare"}))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_silent_json_body_answers_408(stall_apps):
    stall_app = stall_apps()

    async def scenario():
        with anyio.fail_after(IDLE + 5):
            return await raw_request(stall_app, "POST", "/identity/v3/auth/tokens",
                                     announced=1000, sent=b'{"auth": {')

    status, body = anyio.run(scenario)
    assert status == 408
    assert json.loads(body)["error"]["code"] == 408


def test_silent_upload_answers_408_and_leaves_no_saving_image(stall_apps, api: Api,
                                                              member: Member):
    stall_app = stall_apps()
    image_id = queued_image(api, member.token)

    async def scenario():
        with anyio.fail_after(IDLE + 5):
            return await raw_request(stall_app, "PUT", f"/image/v2/images/{image_id}/file",
                                     member.token, announced=1 << 20, sent=b"x" * 100)

    status, body = anyio.run(scenario)
    # the image service reports a broken body as 400, with the reason
    assert status in (400, 408) and b"No request body data arrived" in body, body
    shown = send(api, "GET", f"/image/v2/images/{image_id}", member.token).json()
    assert shown["status"] != "saving"


def test_stalled_uploads_leave_the_handler_pool_free(stall_apps, api: Api, member: Member):
    """20 uploads stalled at once (more than the 16 handler threads a server runs) and an
    unrelated request still answers while they wait; then each stalled one is answered."""
    idle = 4.0
    stall_app = stall_apps(idle)
    image_ids = [queued_image(api, member.token) for _ in range(20)]
    results: dict[str, Any] = {}

    async def stalled(image_id: str) -> None:
        results[image_id] = await raw_request(
            stall_app, "PUT", f"/image/v2/images/{image_id}/file", member.token,
            announced=1 << 20, sent=b"x" * 100)

    async def scenario() -> float:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 16  # as served
        async with anyio.create_task_group() as tg:
            for image_id in image_ids:
                tg.start_soon(stalled, image_id)
            await anyio.sleep(1.5)  # every upload is inside its handler by now
            started = time.perf_counter()
            with anyio.fail_after(1.5):
                status, _ = await raw_request(stall_app, "GET", "/identity/v3")
            assert status == 200
            return time.perf_counter() - started

    elapsed = anyio.run(scenario)
    assert elapsed < 1.0
    assert len(results) == 20
    assert all(status in (400, 408) and b"No request body data arrived" in body
               for status, body in results.values()), results


def test_deep_json_inside_an_ec2_credential_blob(api: Api, cloud: Cloud, admin_project_id):
    """The EC2 blob is JSON inside a JSON string: decoded with the same limits."""
    user_id = api.get("/v3/auth/tokens", token=cloud.admin_token,
                      headers={"X-Subject-Token": cloud.admin_token}).json()["token"]["user"]["id"]
    body = {"credential": {"type": "ec2", "user_id": user_id, "project_id": admin_project_id,
                           "blob": DEEP}}
    assert_fault(api.post("/v3/credentials", token=cloud.admin_token, json=body), 400)
