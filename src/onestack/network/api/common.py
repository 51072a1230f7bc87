"""What every Networking route module shares: the list query string parsed into a
``ListQuery``, request bodies unwrapped (single and bulk), ``*_links`` for pages, and the
generic CRUD and tag routes of a collection."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.service.engine import Collection, parse_if_match
from onestack.network.service.query import TAG_FILTERS, ListQuery

PREFIX = "/network"
V2 = "/v2.0"
# a larger limit lists everything as this one does, and no database binds an unbounded int
MAX_LIMIT = 2 ** 31 - 2
_CONTROL = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", *TAG_FILTERS}


def bad(message: str) -> BadRequest:
    return BadRequest(message, kind="HTTPBadRequest")


def parse_bool(name: str, value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise bad(f"Invalid value for {name}: '{value}'")


def parse_query(call: Call) -> ListQuery:
    qs = call.query
    q = ListQuery()
    q.fields = [f for value in qs.getlist("fields") for f in value.split(",") if f]
    keys, dirs = qs.getlist("sort_key"), qs.getlist("sort_dir")
    if dirs and len(dirs) != len(keys):
        raise bad("The number of sort_keys and sort_dirs must be same")
    q.sorts = list(zip(keys, dirs or ["asc"] * len(keys)))
    if "limit" in qs:
        try:
            limit = int(qs["limit"])
        except ValueError:
            raise bad(f"Invalid value for limit: '{qs['limit']}'") from None
        if limit < 0:
            raise bad(f"Limit must be an integer 0 or greater and not '{limit}'")
        q.limit = min(limit, MAX_LIMIT) or None
    q.marker = qs.get("marker") or None
    if "page_reverse" in qs:
        q.page_reverse = parse_bool("page_reverse", qs["page_reverse"])
    for name in TAG_FILTERS:
        tags = [t for value in qs.getlist(name) for t in value.split(",") if t]
        if tags:
            q.tags[name] = tags
    for key, value in qs.multi_items():
        if key not in _CONTROL:
            q.filters.setdefault(key, []).append(value)
    return q


def page_links(call: Call, collection: str, items: list[dict[str, Any]], more: bool,
               q: ListQuery) -> list[dict[str, str]]:
    """Neutron's ``<collection>_links``: next after the last item (when more follow), and
    previous before the first (when this page started at a marker)."""
    if q.limit is None or not items or "id" not in items[0]:
        return []
    base = f"{call.base_url}{PREFIX}{call.path.split(PREFIX, 1)[-1]}"
    params = [(k, v) for k, v in call.query.multi_items()
              if k not in ("marker", "page_reverse")]
    links = []
    forward_more = more if not q.page_reverse else bool(q.marker)
    backward_more = bool(q.marker) if not q.page_reverse else more
    if forward_more:
        links.append({"rel": "next",
                      "href": f"{base}?{urlencode(params + [('marker', items[-1]['id'])])}"})
    if backward_more:
        links.append({"rel": "previous", "href": f"{base}?" + urlencode(
            params + [("marker", items[0]["id"]), ("page_reverse", "True")])})
    return links


def create_items(call: Call, member: str, collection: str) -> tuple[list[Any], bool]:
    """The items to create and whether the request was a bulk one."""
    body = call.json
    if not isinstance(body, dict):
        raise bad("Resource body required")
    if collection in body:
        items = body[collection]
        if not isinstance(items, list) or not items:
            raise bad("Resources required")
        return items, True
    if member not in body:
        raise bad(f"Unable to find '{member}' in request body")
    return [body[member]], False


def update_item(call: Call, member: str) -> Any:
    body = call.json
    if not isinstance(body, dict) or member not in body:
        raise bad(f"Unable to find '{member}' in request body")
    return body[member]


def crud_routes(c: Collection, *, path: str | None = None, create: bool = True,
                update: bool = True, delete: bool = True, tags: bool | None = None
                ) -> RouteTable:
    """The collection's list/create/show/update/delete (and tag) routes."""
    r = RouteTable()
    member, collection = c.resource.name, c.resource.collection
    base = f"{V2}/{path or collection}"

    @r.get(base)
    def list_(call: Call) -> Reply:
        q = parse_query(call)
        items, more = c.list(call.ctx, q)
        body: dict[str, Any] = {collection: items}
        links = page_links(call, collection, items, more, q)
        if links:
            body[f"{collection}_links"] = links
        return Reply(200, body)

    if create:
        @r.post(base)
        def create_(call: Call) -> Reply:
            items, bulk = create_items(call, member, collection)
            made = c.create(call.ctx, items)
            return Reply(201, {collection: made} if bulk else {member: made[0]})

    @r.get(base + "/{id}")
    def show(call: Call) -> Reply:
        fields = [f for v in call.query.getlist("fields") for f in v.split(",") if f]
        return Reply(200, {member: c.show(call.ctx, call.params["id"], fields)})

    if update:
        @r.put(base + "/{id}")
        def update_(call: Call) -> Reply:
            item = update_item(call, member)
            if_match = parse_if_match(call.headers.get("if-match"))
            return Reply(200, {member: c.update(call.ctx, call.params["id"], item, if_match)})

    if delete:
        @r.delete(base + "/{id}")
        def delete_(call: Call) -> Reply:
            c.delete(call.ctx, call.params["id"], parse_if_match(call.headers.get("if-match")))
            return no_content()

    if tags if tags is not None else c.resource.taggable:
        tag_routes(r, c, base)
    return r


def tag_routes(r: RouteTable, c: Collection, base: str) -> None:
    @r.get(base + "/{id}/tags")
    def list_tags(call: Call) -> Reply:
        return Reply(200, {"tags": c.tags(call.ctx, call.params["id"])})

    @r.put(base + "/{id}/tags")
    def replace_tags(call: Call) -> Reply:
        body = call.json
        if not isinstance(body, dict) or "tags" not in body:
            raise bad("Invalid input for operation: tags must be given.")
        return Reply(200, {"tags": c.change_tags(call.ctx, call.params["id"],
                                                 replace=body["tags"])})

    @r.delete(base + "/{id}/tags")
    def clear_tags(call: Call) -> Reply:
        c.change_tags(call.ctx, call.params["id"], clear=True)
        return no_content()

    @r.get(base + "/{id}/tags/{tag}")
    def check_tag(call: Call) -> Reply:
        if call.params["tag"] not in c.tags(call.ctx, call.params["id"]):
            raise NotFound(f"Tag {call.params['tag']} could not be found.", kind="TagNotFound")
        return no_content()

    @r.put(base + "/{id}/tags/{tag}")
    def add_tag(call: Call) -> Reply:
        c.change_tags(call.ctx, call.params["id"], add=call.params["tag"])
        return Reply(201)

    @r.delete(base + "/{id}/tags/{tag}")
    def remove_tag(call: Call) -> Reply:
        c.change_tags(call.ctx, call.params["id"], remove=call.params["tag"])
        return no_content()
