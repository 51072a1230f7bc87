"""Image data routes: upload and download, stage and import, and the image's tasks."""
from __future__ import annotations

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.image.api.common import Glance, content_length


def routes(g: Glance) -> RouteTable:
    r = RouteTable()

    def upload(call: Call) -> Reply:
        assert call.chunks is not None
        g.data.upload(call.ctx, call.params["image_id"], call.chunks, content_length(call))
        return no_content()

    def stage(call: Call) -> Reply:
        assert call.chunks is not None
        g.data.stage(call.ctx, call.params["image_id"], call.chunks, content_length(call))
        return no_content()

    r.add("PUT", "/v2/images/{image_id}/file", upload, stream=True)
    r.add("PUT", "/v2/images/{image_id}/stage", stage, stream=True)

    @r.get("/v2/images/{image_id}/file")
    def download(call: Call) -> Reply:
        result = g.data.download(call.ctx, call.params["image_id"],
                                 call.headers.get("range"))
        if result.chunks is None:
            return no_content()
        return Reply(result.status, headers=result.headers, stream=result.chunks,
                     content_type="application/octet-stream")

    @r.post("/v2/images/{image_id}/import")
    def import_(call: Call) -> Reply:
        body = call.json
        if body is None:
            raise BadRequest("Import requests need a JSON body.")
        g.data.import_image(call.ctx, call.params["image_id"], body)
        return Reply(202, raw=b"", content_type="text/html; charset=UTF-8")

    @r.get("/v2/images/{image_id}/tasks")
    def image_tasks(call: Call) -> Reply:
        return Reply(200, {"tasks": g.tasks.for_image(call.ctx, call.params["image_id"])})

    return r
