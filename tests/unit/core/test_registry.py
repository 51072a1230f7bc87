"""One registration per service: the registry's rules, and the four real specs agreeing
with the code they describe (so the data in a spec cannot drift from the service)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from onestack.core.registry import AgentContext, AgentRunner, Registry, ServiceSpec
from onestack.identity.service.catalog import render_url
from onestack.server import SERVICE_MODULES, default_registry


def spec(name: str, prefix: str, **kw) -> ServiceSpec:
    return ServiceSpec(name=name, prefix=prefix, routes=lambda platform: [], **kw)


def test_names_and_prefixes_are_unique():
    registry = Registry()
    registry.register(spec("a", "/a"))
    with pytest.raises(ValueError, match="clashes"):
        registry.register(spec("a", "/other"))
    with pytest.raises(ValueError, match="clashes"):
        registry.register(spec("b", "/a"))
    assert [s.name for s in registry] == ["a"]


def test_default_registry_lists_every_service_in_mount_order():
    registry = default_registry()
    assert [s.name for s in registry] == ["identity", "compute", "image", "placement",
                                          "network", "volume"]
    assert len(SERVICE_MODULES) == 6
    assert registry.catalog_entries() == [
        ("identity", "keystone", "/identity"), ("compute", "nova", "/compute/v2.1"),
        ("image", "glance", "/image"), ("placement", "placement", "/placement"),
        ("network", "neutron", "/network"), ("block-storage", "cinder", "/volume/v3"),
        ("volumev3", "cinderv3", "/volume/v3")]
    assert {s.name: s.fault_style for s in registry} == {
        "identity": "keystone", "compute": "nova", "image": "glance", "placement": "placement",
        "network": "neutron", "volume": "nova"}
    assert registry.agent_kinds() == ["scheduler", "compute", "network", "volume", "backup"]


def test_spec_data_matches_the_services_own_constants():
    from onestack.compute.api import common, microversion
    from onestack.image.api.common import PREFIX as IMAGE_PREFIX
    from onestack.placement.api import microversion as placement_mv

    registry = default_registry()
    compute, placement = registry.get("compute"), registry.get("placement")
    assert (compute.prefix, compute.catalog[0].path) == (common.PREFIX, common.ROOT)
    assert compute.microversions is not None and placement.microversions is not None
    assert compute.microversions.minimum == "%d.%d" % microversion.MIN_VERSION
    assert compute.microversions.maximum == "%d.%d" % microversion.MAX_VERSION
    assert placement.microversions.minimum == "%d.%d" % placement_mv.MIN
    assert placement.microversions.maximum == "%d.%d" % placement_mv.MAX
    assert registry.get("image").prefix == IMAGE_PREFIX


def test_every_registered_route_module_and_policy_module_imports():
    import importlib

    for service in default_registry():
        for name in service.route_modules:
            assert hasattr(importlib.import_module(name), "routes"), name
    rules = default_registry().policy_rules()
    assert any(name.startswith("identity:") for name, _ in rules)
    assert any(name.startswith("image:") for name, _ in rules)


def test_import_models_registers_every_services_tables():
    from onestack.core.db import Base

    default_registry().import_models()
    tables = set(Base.metadata.tables)
    for prefix in ("identity_", "compute_", "image", "placement_"):
        assert any(t.startswith(prefix) for t in tables), prefix


def test_registering_costs_no_heavy_import():
    """The CLI, the migration child and bootstrap read specs: no SQLAlchemy, Starlette or
    oslo.policy just for that."""
    code = ("import sys; from onestack.server import default_registry; default_registry(); "
            "print(sorted(m for m in ('sqlalchemy', 'starlette', 'oslo_policy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_start_agents_starts_every_runner_and_stops_them_all():
    events: list[str] = []

    def runner(kind: str) -> AgentRunner:
        def start(ctx: AgentContext):
            events.append(f"start {kind} {ctx.hosts}")
            return lambda: events.append(f"stop {kind}")
        return AgentRunner(kind, start)

    registry = Registry()
    registry.register(spec("a", "/a", agents=(runner("sched"),)))
    registry.register(spec("b", "/b", agents=(runner("host"),)))
    stop = registry.start_agents(AgentContext(None, None, None, hosts=(("h1", "nova"),)))
    assert events == ["start sched (('h1', 'nova'),)", "start host (('h1', 'nova'),)"]
    stop()
    assert events[2:] == ["stop sched", "stop host"]
    assert registry.agent("host").kind == "host"
    with pytest.raises(KeyError):
        registry.agent("nope")


@pytest.mark.parametrize("url, project, rendered", [
    ("http://h/v1/AUTH_$(project_id)s", "p1", "http://h/v1/AUTH_p1"),
    ("http://h/v2/$(tenant_id)s", "p1", "http://h/v2/p1"),
    ("http://h/v1/AUTH_$(project_id)s", "", None),  # nothing to fill in: left out
    ("http://h/$(user_id)s", "p1", None),  # not a name the catalog fills
    ("http://h/compute/v2.1", "", "http://h/compute/v2.1"),
])
def test_catalog_url_templates(url, project, rendered):
    assert render_url(url, project) == rendered


def test_building_policy_defaults_loads_no_oslo_until_a_rule_is_checked():
    """oslo.policy and oslo.config (with oslo_utils.strutils' regexes) cost a good part of a
    cold start and the first login checks no rule: they load at the first check."""
    code = (
        "import sys\n"
        "from onestack.core.context import RequestContext\n"
        "from onestack.core.policy import Policy\n"
        "import onestack.compute.policies\n"
        "p = Policy(); p.register([('a:b', 'role:admin')])\n"
        "before = sorted(m for m in ('oslo_policy', 'oslo_config') if m in sys.modules)\n"
        "ok = p.allowed('a:b', RequestContext('r', roles=['admin']))\n"
        "print(before, ok, 'oslo_policy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[] True True", out.stderr


def test_a_rule_registered_twice_is_refused():
    from onestack.core.policy import DuplicatePolicyError, Policy

    p = Policy()
    p.register([("a:b", "role:admin")])
    with pytest.raises(DuplicatePolicyError):
        p.register([("a:c", ""), ("a:b", "")])
    with pytest.raises(DuplicatePolicyError):
        p.register([("x:y", ""), ("x:y", "")])


def test_seams_built_for_agents_see_their_neighbours(tmp_path):
    """The volume seam creates boot volumes from images through the image seam it finds
    in its context; an agent's context used to hold seams built over a copy without any
    (compute's boot from volume then failed with 'Image … could not be found')."""
    from onestack.core.bus import NullBus
    from onestack.core.config import Settings
    from onestack.core.db import Database
    from onestack.core.registry import AgentContext
    from onestack.server import default_registry

    db = Database(f"sqlite:///{tmp_path}/s.db")
    try:
        ctx = default_registry().with_seams(AgentContext(db, NullBus(), Settings()))
        volume = ctx.seams["volume"]
        assert volume.platform.seams["image"] is ctx.seams["image"]
    finally:
        db.dispose()
