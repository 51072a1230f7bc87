"""The metadata HTTP app guests reach at ``http://169.254.169.254/`` through the
per-network proxy: a small Starlette app that answers at its own root, mounted by the
composition root at ``/metadata`` on the API port (the proxies' upstream is
``<base_url>/metadata``). No token: the guest is named by the proxy's signed headers
(``signing``), and anything that names no guest is a plain 404.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from onestack.compute.metadata.service import MetadataService
    from onestack.core.platform import Platform

PREFIX = "/metadata"
NOT_FOUND = b"404 Not Found\n\nThe resource could not be found.\n"
POST_ANSWERS = {200: b"", 400: b"Request is too large.\n", 404: NOT_FOUND,
                405: b"Method not allowed.\n", 409: b"A password is set already.\n"}


def build(service: MetadataService | Callable[[], MetadataService]) -> Starlette:
    """The app over ``service`` (or a factory of it, called at the first request, so that
    an API process that never serves a guest never imports the service); every path is a
    document path (``/openstack/latest/meta_data.json``, ``/latest/meta-data/hostname`` …);
    a POST is only for the password document (``MetadataService.post_password``)."""
    import anyio.to_thread
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from onestack.compute.metadata import signing

    built: list[MetadataService] = [] if callable(service) else [service]

    def the_service() -> MetadataService:
        if not built:
            built.append(service())  # type: ignore[operator]
        return built[0]

    async def document(request: Request) -> Response:
        headers = request.headers
        if request.method == "POST":
            body = await request.body()
            status = await anyio.to_thread.run_sync(
                lambda *args: the_service().post_password(*args),
                headers.get(signing.NETWORK_HEADER, ""),
                headers.get(signing.FORWARDED_HEADER, ""),
                headers.get(signing.SIGNATURE_HEADER, ""), request.path_params.get("path", ""),
                body)
            return Response(POST_ANSWERS[status], status, media_type="text/plain")
        found = await anyio.to_thread.run_sync(
            lambda *args: the_service().document(*args), headers.get(signing.NETWORK_HEADER, ""),
            headers.get(signing.FORWARDED_HEADER, ""),
            headers.get(signing.SIGNATURE_HEADER, ""), request.path_params.get("path", ""))
        if found is None:
            return Response(NOT_FOUND, 404, media_type="text/plain")
        body = b"" if request.method == "HEAD" else found.body
        response = Response(body, 200, media_type=found.content_type)
        if request.method == "HEAD":
            response.headers["content-length"] = str(len(found.body))
        return response

    return Starlette(routes=[Route("/{path:path}", document, methods=["GET", "HEAD", "POST"])])


def service_for(platform: Platform) -> MetadataService:
    from onestack.compute.metadata.service import MetadataService

    return MetadataService(platform.db, platform.seams.get("network"),
                           getattr(platform.settings, "metadata_proxy_secret", "") or "")


def mount(platform: Platform) -> Mount:
    """The app mounted at ``/metadata`` (what ``onestack.server.build_app`` adds)."""
    from starlette.routing import Mount

    return Mount(PREFIX, app=build(lambda: service_for(platform)))


__all__ = ["PREFIX", "build", "mount", "service_for"]
