"""Quota resources and limits per microversion, quota update checks, tenant usage arithmetic
and server group views."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from onestack.compute import models as cm
from onestack.compute import quotas, schemas
from onestack.compute.api import extensions, quota_sets, server_groups, tenant_usage
from onestack.compute.service import quota_sets as quota_service
from onestack.compute.service import usage
from onestack.core.errors import BadRequest

T0 = datetime(2024, 5, 1, 0, 0, 0)


def test_quota_set_resources_by_version():
    assert len(quota_sets.set_resources((2, 1))) == 14
    assert "fixed_ips" not in quota_sets.set_resources((2, 36))
    assert "injected_files" in quota_sets.set_resources((2, 36))
    assert set(quota_sets.set_resources((2, 57))) == {
        "instances", "cores", "ram", "metadata_items", "key_pairs", "server_groups",
        "server_group_members"}


def test_quota_class_resources_by_version():
    assert "server_groups" not in quota_sets.class_resources((2, 1))
    assert "fixed_ips" in quota_sets.class_resources((2, 1))
    v250 = quota_sets.class_resources((2, 50))
    assert "server_groups" in v250 and "fixed_ips" not in v250
    assert "injected_files" not in quota_sets.class_resources((2, 57))


def test_absolute_limits_by_version():
    limits = dict(quotas.DEFAULTS)
    used = {"ram": 512, "cores": 1, "instances": 1, "server_groups": 2}
    v21 = quota_sets.absolute_limits(limits, used, (2, 1))
    assert v21["maxTotalRAMSize"] == limits["ram"] and v21["totalRAMUsed"] == 512
    assert v21["maxImageMeta"] == v21["maxServerMeta"] == limits["metadata_items"]
    assert v21["totalServerGroupsUsed"] == 2 and v21["totalFloatingIpsUsed"] == 0
    v236 = quota_sets.absolute_limits(limits, used, (2, 36))
    assert "maxSecurityGroups" not in v236 and "maxImageMeta" in v236
    assert "maxImageMeta" not in quota_sets.absolute_limits(limits, used, (2, 39))
    v257 = quota_sets.absolute_limits(limits, used, (2, 57))
    assert "maxPersonality" not in v257 and "maxTotalKeypairs" in v257


def test_update_schema_follows_resources():
    schema = quota_sets.update_schema("quota_set", quota_sets.set_resources((2, 36)), True)
    schemas.validate(schema, {"quota_set": {"ram": "5120", "force": "True", "cores": -1}})
    for bad in ({"fixed_ips": 1}, {"ram": -2}, {"ram": "x"}, {"bogus": 1}):
        with pytest.raises(BadRequest):
            schemas.validate(schema, {"quota_set": bad})


def test_check_limits():
    quota_service.check_limits({"cores": 4, "ram": -1}, {"cores": 4}, None)
    with pytest.raises(BadRequest):
        quota_service.check_limits({"cores": 3}, {"cores": 4}, None)
    quota_service.check_limits({"ram": 2048}, {}, {"ram": 5120})
    with pytest.raises(BadRequest):
        quota_service.check_limits({"ram": 6000}, {}, {"ram": 5120})
    with pytest.raises(BadRequest):
        quota_service.check_limits({"ram": -1}, {}, {"ram": 5120})
    quota_service.check_limits({"ram": -1}, {}, {"ram": -1})


@pytest.mark.parametrize("text", ["2024-05-01T10:00:00", "2024-05-01T10:00:00.123456",
                                  "2024-05-01 10:00:00.5", "2024-05-01T10:00:00Z"])
def test_parse_time(text):
    assert tenant_usage.parse_time(text, "start").hour == 10


def test_parse_time_rejects_garbage():
    with pytest.raises(BadRequest):
        tenant_usage.parse_time("yesterday", "start")


def instance(**changes) -> cm.Instance:
    values = dict(id="i1", name="s", project_id="p", deleted=False, vm_state="active",
                  flavor={"name": "m1.nano", "vcpus": 2, "ram": 128, "disk": 1,
                          "ephemeral": 1},
                  launched_at=T0 + timedelta(hours=1), terminated_at=None, deleted_at=None,
                  created_at=T0)
    values.update(changes)
    return cm.Instance(**values)


def test_server_usage_clips_to_the_period():
    u = usage.server_usage(instance(), T0, T0 + timedelta(hours=5))
    assert u is not None and u.hours == 4.0
    ended = instance(deleted=True, terminated_at=T0 + timedelta(hours=2))
    assert usage.server_usage(ended, T0, T0 + timedelta(hours=5)).hours == 1.0
    assert usage.server_usage(ended, T0 + timedelta(hours=3),
                                     T0 + timedelta(hours=5)) is None
    assert usage.server_usage(instance(launched_at=None), T0,
                                     T0 + timedelta(hours=5)) is None
    assert usage.server_usage(instance(), T0 - timedelta(hours=5), T0) is None


def test_summary_totals():
    usages = [usage.server_usage(instance(), T0, T0 + timedelta(hours=3)),
              usage.server_usage(instance(id="i2", deleted=True,
                                                 terminated_at=T0 + timedelta(hours=2)),
                                        T0, T0 + timedelta(hours=3))]
    out = tenant_usage.summary("p", usages, T0, T0 + timedelta(hours=3), True,
                               T0 + timedelta(hours=3))
    assert out["total_hours"] == 3.0
    assert out["total_vcpus_usage"] == 6.0
    assert out["total_memory_mb_usage"] == 384.0
    assert out["total_local_gb_usage"] == 6.0
    first, second = out["server_usages"]
    assert (first["state"], first["uptime"], first["local_gb"]) == ("active", 7200, 2)
    assert (second["state"], second["ended_at"]) == ("terminated", "2024-05-01T02:00:00")
    assert "server_usages" not in tenant_usage.summary("p", usages, T0, T0, False, T0)


def test_server_group_views_and_schema():
    g = cm.ServerGroup(id="g", name="n", project_id="p", user_id="u", policy="anti-affinity",
                       rules={"max_server_per_host": 2}, members=[])
    assert server_groups.group_view(g, ["i"], (2, 1)) == {
        "id": "g", "name": "n", "members": ["i"], "policies": ["anti-affinity"],
        "metadata": {}}
    assert server_groups.group_view(g, [], (2, 13))["project_id"] == "p"
    v264 = server_groups.group_view(g, [], (2, 64))
    assert v264["policy"] == "anti-affinity" and "policies" not in v264
    schemas.validate(server_groups.create_schema((2, 15)),
                     {"server_group": {"name": "n", "policies": ["soft-affinity"]}})
    for version, body in [((2, 1), {"name": "n", "policies": ["soft-affinity"]}),
                          ((2, 1), {"name": "n", "policies": ["affinity", "affinity"]}),
                          ((2, 64), {"name": "n", "policies": ["affinity"]}),
                          ((2, 64), {"name": "n", "policy": "affinity", "rules": {"x": 1}})]:
        with pytest.raises(BadRequest):
            schemas.validate(server_groups.create_schema(version), {"server_group": body})


def test_extensions_are_complete():
    view = extensions.extension_view("os-hosts")
    assert view["name"] == "Hosts" and view["links"] == []
    assert "os-consoles" in extensions.EXTENSIONS


def test_usage_audit_period_and_log():
    from onestack.compute.api import usage_audit

    begin, end = usage_audit.audit_period(datetime(2024, 1, 15, 10, 30))
    assert (begin, end) == (datetime(2023, 12, 1), datetime(2024, 1, 1))
    assert usage_audit.parse_before("2024-03-02 01:02:03") == datetime(2024, 3, 2, 1, 2, 3)
    with pytest.raises(BadRequest):
        usage_audit.parse_before("invalid_time")
    log = usage_audit.audit_log(["h1", "h2"], datetime(2024, 3, 2))
    assert log["num_hosts_not_run"] == 2 and log["hosts_not_run"] == ["h1", "h2"]
    assert log["overall_status"] == "0 of 2 hosts done. 0 errors."
    assert (log["period_beginning"], log["period_ending"]) == ("2024-02-01 00:00:00",
                                                             "2024-03-01 00:00:00")
