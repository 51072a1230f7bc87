"""Every OpenStack fault onestack can answer with, in one place.

Services raise these; only ``core.app`` renders them, in the fault style of the service
that owns the path (Keystone's ``{"error": {...}}`` or Nova's ``{"itemNotFound": {...}}``).
"""
from __future__ import annotations

from typing import Any


class OpenStackError(Exception):
    """Base of all faults: an HTTP status, a title and a human message."""

    status = 500
    title = "Internal Server Error"
    nova_name = "computeFault"
    default_message = "An unexpected error prevented the server from fulfilling your request."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None,
                 kind: str = ""):
        self.message = message or self.default_message
        self.headers = headers or {}
        # Neutron's machine-readable fault type (``NetworkNotFound``); "" → the generic
        # ``HTTP<Title>`` name of the status.
        self.kind = kind
        super().__init__(self.message)

    def html(self) -> str:
        import html

        head = f"{self.status} {self.title}"
        return (f"<html>\n <head>\n  <title>{head}</title>\n </head>\n <body>\n"
                f"  <h1>{head}</h1>\n  {html.escape(self.message)}<br /><br />\n\n\n\n"
                " </body>\n</html>")

    code = "placement.undefined_code"  # placement's machine-readable error code

    def body(self, style: str = "keystone", request_id: str = "") -> dict[str, Any]:
        if style == "nova":
            return {self.nova_name: {"code": self.status, "message": self.message}}
        if style == "neutron":
            kind = self.kind or "HTTP" + self.title.replace(" ", "")
            return {"NeutronError": {"type": kind, "message": self.message, "detail": ""}}
        if style == "placement":
            return {"errors": [{"status": self.status, "title": self.title,
                                "detail": self.message, "request_id": request_id,
                                "code": self.code}]}
        return {"error": {"code": self.status, "message": self.message, "title": self.title}}


class BadRequest(OpenStackError):
    status, title, nova_name = 400, "Bad Request", "badRequest"
    default_message = (
        "The request you have made is malformed or otherwise incorrect. "
        "The client is assumed to be in error."
    )


class ValidationError(BadRequest):
    """Body failed its schema."""


class MalformedJSON(BadRequest):
    default_message = (
        "Expecting to find valid JSON in request body. The server could not comply with the "
        "request since it is either malformed or otherwise incorrect. The client is assumed "
        "to be in error."
    )


class Unauthorized(OpenStackError):
    status, title, nova_name = 401, "Unauthorized", "unauthorized"
    default_message = "The request you have made requires authentication."


class Forbidden(OpenStackError):
    status, title, nova_name = 403, "Forbidden", "forbidden"
    default_message = "You are not authorized to perform the requested action."


class NotFound(OpenStackError):
    status, title, nova_name = 404, "Not Found", "itemNotFound"
    default_message = "Could not find the requested resource."


class MethodNotAllowed(OpenStackError):
    status, title, nova_name = 405, "Method Not Allowed", "methodNotAllowed"
    default_message = "The method is not allowed for the requested URL."


class NotAcceptable(OpenStackError):
    status, title, nova_name = 406, "Not Acceptable", "notAcceptable"


class RequestTimeout(OpenStackError):
    """The client stopped sending the body it announced."""

    status, title, nova_name = 408, "Request Timeout", "requestTimeout"
    default_message = "The request body did not arrive in time."


class Conflict(OpenStackError):
    status, title, nova_name = 409, "Conflict", "conflictingRequest"
    default_message = "Conflict occurred attempting to store the resource."


class Gone(OpenStackError):
    status, title = 410, "Gone"


class PreconditionFailed(OpenStackError):
    status, title, nova_name = 412, "Precondition Failed", "preconditionFailed"
    default_message = "A precondition of the request was not met."


class PayloadTooLarge(OpenStackError):
    status, title, nova_name = 413, "Request Entity Too Large", "overLimit"
    default_message = "Request is too large."


class UnsupportedMediaType(OpenStackError):
    status, title, nova_name = 415, "Unsupported Media Type", "mediaTypeNotSupported"


class NotImplementedFault(OpenStackError):
    status, title, nova_name = 501, "Not Implemented", "notImplemented"
    default_message = "The action you have requested has not been implemented."


class ServiceUnavailable(OpenStackError):
    status, title, nova_name = 503, "Service Unavailable", "serviceUnavailable"
    default_message = "The service is temporarily unavailable; retry later."


def not_found(kind: str, ident: str) -> NotFound:
    """Keystone's wording: ``Could not find project: abc.``"""
    return NotFound(f"Could not find {kind}: {ident}.")


def conflict(kind: str, detail: str) -> Conflict:
    return Conflict(f"Conflict occurred attempting to store {kind} - {detail}.")
