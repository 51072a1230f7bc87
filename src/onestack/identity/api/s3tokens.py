"""``POST /v3/s3tokens``: S3 request signatures checked against EC2 credentials."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity.api.common import Identity, bind
from onestack.identity.service import s3tokens


def validate(ident: Identity, call: Call) -> Reply:
    return Reply(200, s3tokens.validate(ident, call.ctx, call.json))


ROUTES = [("POST", "/v3/s3tokens", validate)]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)
