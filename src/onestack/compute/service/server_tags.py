"""Server tags (``/servers/{id}/tags``, from 2.26): read by project readers, written by
members; at most 50 tags of at most 60 characters without ``/`` or ``,``; a locked server
refuses writes from all but an admin."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from onestack.compute.service.servers import (Deps, check_lock, read_server,
                                              visible_instance)
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound

RULE = "os_compute_api:os-server-tags:"
MAX_TAGS = 50


def check_tag(tag: object) -> str:
    if not isinstance(tag, str) or not tag or len(tag) > 60 or "/" in tag or "," in tag:
        raise BadRequest(f"Invalid input for field/attribute tag. Value: {tag}.")
    return tag


def _write(deps: Deps, ctx: RequestContext, ident: str, rule: str,
           change: Callable[[list[str]], list[str]]) -> list[str]:
    def work(s: Session) -> list[str]:
        inst = visible_instance(deps, s, ctx, ident, RULE + rule, lock=True)
        check_lock(deps, ctx, inst)
        tags = change(list(inst.tags or []))
        if len(tags) > MAX_TAGS:
            raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        inst.tags = tags
        inst.updated_at = utcnow()
        return list(tags)
    return deps.db.write(work)


def index(deps: Deps, ctx: RequestContext, ident: str) -> list[str]:
    return read_server(deps, ctx, ident, RULE + "index", lambda s, i: list(i.tags or []))


def exists(deps: Deps, ctx: RequestContext, ident: str, tag: str) -> None:
    tags = read_server(deps, ctx, ident, RULE + "show", lambda s, i: list(i.tags or []))
    if tag not in tags:
        raise NotFound(f"Tag {tag} could not be found.")


def replace(deps: Deps, ctx: RequestContext, ident: str, tags: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(check_tag(t) for t in tags))
    return _write(deps, ctx, ident, "update_all", lambda _: wanted)


def clear(deps: Deps, ctx: RequestContext, ident: str) -> None:
    _write(deps, ctx, ident, "delete_all", lambda _: [])


def add(deps: Deps, ctx: RequestContext, ident: str, tag: str) -> bool:
    """True when the tag is new (201), False when it was there (204)."""
    check_tag(tag)
    added: list[bool] = []

    def change(tags: list[str]) -> list[str]:
        added.append(tag not in tags)
        return tags if tag in tags else [*tags, tag]
    _write(deps, ctx, ident, "update", change)
    return added[0]


def remove(deps: Deps, ctx: RequestContext, ident: str, tag: str) -> None:
    def change(tags: list[str]) -> list[str]:
        if tag not in tags:
            raise NotFound(f"Tag {tag} could not be found.")
        return [t for t in tags if t != tag]
    _write(deps, ctx, ident, "delete", change)
