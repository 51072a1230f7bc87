"""Access-rule path templates as keystonemiddleware matches them: ``*`` and ``{name}`` are one
path segment, ``**`` any number, everything else literal (a ``.`` is not a wildcard)."""
from __future__ import annotations

import pytest

from onestack.core import access_rules
from onestack.core.context import RequestContext
from onestack.core.errors import Unauthorized


@pytest.mark.parametrize("path,template,matches", [
    ("/v2.1/servers", "/v2.1/servers", True),
    ("/v2.1/servers/abc", "/v2.1/servers", False),
    ("/v2x1/servers", "/v2.1/servers", False),
    ("/v2.1/servers/abc", "/v2.1/servers/*", True),
    ("/v2.1/servers/abc/action", "/v2.1/servers/*", False),
    ("/v2.1/servers/abc/action", "/v2.1/servers/**", True),
    ("/v2.1/servers/abc", "/v2.1/servers/{server_id}", True),
    ("/v3/users/u/application_credentials", "/v3/users/*/application_credentials", True),
])
def test_path_templates(path, template, matches):
    assert access_rules.path_matches(path, template) is matches


def ctx_with(rules):
    data = {"application_credential": {"id": "c", "access_rules": rules}} \
        if rules is not None else {}
    return RequestContext("req-1", user_id="u", app_cred_id="c" if rules else "",
                          token_data=data)


def test_check_needs_service_path_and_method_to_match():
    ctx = ctx_with([{"service": "compute", "path": "/v2.1/servers", "method": "GET"}])
    access_rules.check(ctx, "compute", "/v2.1/servers", "GET")
    for service, path, method in [("image", "/v2.1/servers", "GET"),
                                  ("compute", "/v2.1/flavors", "GET"),
                                  ("compute", "/v2.1/servers", "POST")]:
        with pytest.raises(Unauthorized):
            access_rules.check(ctx, service, path, method)


def test_unrestricted_tokens_and_token_validation_pass():
    access_rules.check(ctx_with(None), "compute", "/anything", "DELETE")
    ctx = ctx_with([{"service": "compute", "path": "/v2.1/servers", "method": "GET"}])
    access_rules.check(ctx, "identity", "/v3/auth/tokens", "GET")


def test_service_type_from_the_mount_prefix():
    assert access_rules.service_type_for("/compute") == "compute"
    assert access_rules.service_type_for("/identity") == "identity"
    assert access_rules.service_type_for("/object-store") == "object-store"
