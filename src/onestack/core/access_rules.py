"""Application-credential access rules, enforced in one place for every service.

A credential created with ``access_rules`` may only make the requests a rule names: the
service type (``compute``), a path template relative to the service's mount (``/v2.1/servers``,
where ``*`` and ``{name}`` stand for one path segment and ``**`` for any number) and the
method. Any other request authenticated by such a credential answers 401, as
keystonemiddleware answers it in front of every OpenStack service. Validating a token against
identity is always allowed, so a client can still check its own token.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from onestack.core.context import RequestContext
from onestack.core.errors import Unauthorized

_TOKEN = re.compile(r"(?P<tag>\{[^}]*\})|(?P<many>\*\*)|(?P<one>\*)|(?P<literal>[^{*]+|[{*])")


def service_type_for(prefix: str) -> str:
    """The service type of a mount that does not state one (registered services state their
    catalog type): its path prefix without slashes."""
    return prefix.strip("/")


@lru_cache(maxsize=1024)
def _template(path: str) -> re.Pattern[str]:
    """A rule's path template as an anchored regular expression."""
    parts = []
    for match in _TOKEN.finditer(path):
        if match.group("tag") or match.group("one"):
            parts.append(r"[^/]+")
        elif match.group("many"):
            parts.append(r".*")
        else:
            parts.append(re.escape(match.group("literal")))
    return re.compile("".join(parts) + r"\Z")


def path_matches(path: str, template: str) -> bool:
    return _template(template).match(path) is not None


def rules_of(ctx: RequestContext) -> list[dict[str, Any]] | None:
    """The caller's access rules, or None when the request is not restricted by any."""
    cred = (ctx.token_data or {}).get("application_credential")
    if not cred:
        return None
    return cred.get("access_rules")


def allows(rules: list[dict[str, Any]], service_type: str, path: str, method: str) -> bool:
    return any(rule.get("service") == service_type and rule.get("method") == method and
               path_matches(path, rule.get("path", "")) for rule in rules)


def check(ctx: RequestContext, service_type: str, path: str, method: str) -> None:
    """Raise 401 unless the request is allowed by the caller's access rules (if it has any).

    ``path`` is relative to the service's mount, as the service itself sees it."""
    rules = rules_of(ctx)
    if rules is None:
        return
    if service_type == "identity" and method == "GET" and \
            path.rstrip("/").endswith("/v3/auth/tokens"):
        return
    if not allows(rules, service_type, path, method):
        raise Unauthorized("The request you have made requires authentication.")
