"""One registration per service: everything the composition root, the migrations, the
bootstrap and the CLI need to know about a service, as data in one ``ServiceSpec``.

Adding a service is "add a package whose ``app`` module defines ``SPEC``, and list that
module in ``onestack.server.SERVICE_MODULES``" — nothing else names services one by one.
Specs are cheap to import: route modules, models and agents are named (or wrapped in a
function) and imported only when the app is built or an agent starts.
"""
from __future__ import annotations

import functools
import importlib
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # annotations only: keeps this module free of SQLAlchemy and Starlette
    from onestack.core.bus import Bus
    from onestack.core.config import Settings
    from onestack.core.db import Database
    from onestack.core.http import Route
    from onestack.core.platform import Platform


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog service. ``path`` is appended to the public URL and may name the token's
    project as ``$(project_id)s`` (object storage, older volume URLs): identity renders it
    per token."""

    type: str
    name: str
    path: str

    def as_tuple(self) -> tuple[str, str, str]:
        return self.type, self.name, self.path


@dataclass(frozen=True)
class Microversions:
    """The microversion header and range a service accepts (data only: each service
    negotiates with it)."""

    service: str  # the token in ``OpenStack-API-Version: <service> X.Y``
    minimum: str
    maximum: str
    legacy_header: str = ""  # e.g. ``X-OpenStack-Nova-API-Version``


@dataclass(frozen=True)
class AgentContext:
    """What an agent runner is started with. ``hosts`` lists (host, zone) pairs: the fake
    hosts of ``onestack up``, or the one host of ``onestack agent compute``."""

    db: Database
    bus: Bus
    settings: Settings
    hosts: tuple[tuple[str, str], ...] = ()
    driver: str = "fake"
    state_dir: Path | None = None
    # service name → the seam it offers (``Registry.with_seams`` fills it)
    seams: dict[str, Any] = field(default_factory=dict)


# A runner starts its workers and returns the function that stops them.
AgentStart = Callable[[AgentContext], Callable[[], None]]


@dataclass(frozen=True)
class AgentRunner:
    kind: str  # ``onestack agent <kind>``
    start: AgentStart


@dataclass(frozen=True)
class ServiceSpec:
    """A service as the platform sees it. ``routes`` builds the service's container and
    returns its route table (importing its route modules then, not before)."""

    name: str
    prefix: str
    routes: Callable[[Platform], list[Route]]
    catalog: tuple[CatalogEntry, ...] = ()
    route_modules: tuple[str, ...] = ()
    models: tuple[str, ...] = ()  # modules whose import adds the tables to Base.metadata
    policies: tuple[str, ...] = ()  # modules with ``RULES``, registered when the app is built
    settings_section: str = ""
    fault_style: str = "keystone"
    microversions: Microversions | None = None
    agents: tuple[AgentRunner, ...] = ()
    # first-run data the service needs (compute: the m1.* flavors); idempotent
    seed: Callable[[Database], None] | None = None
    # what an all-in-one cloud starts with beyond that (network: DevStack's public and
    # private networks and router), made as the admin project; ``onestack up`` only,
    # idempotent, and the service's own setting may turn it off
    bootstrap: Callable[[Database, Settings, str], None] | None = None
    # what the service offers its neighbours (the image service: its stores behind the
    # compute ↔ image seam), built once per platform before any routes
    seam: Callable[[Platform], Any] | None = None

    @property
    def service_type(self) -> str:
        """The catalog type access rules name this service by ("" without a catalog)."""
        return self.catalog[0].type if self.catalog else ""


def collect_routes(modules: tuple[str, ...], container: Any) -> list[Route]:
    """The route tables of ``modules`` (each with ``routes(container) -> RouteTable``), in
    order: order matters where a literal path must win over a ``{param}`` one."""
    routes: list[Route] = []
    for name in modules:
        routes.extend(importlib.import_module(name).routes(container).routes)
    return routes


class LazySeams(dict):  # type: ignore[type-arg]
    """service name → seam, built on first access (``seams["network"]``, ``.get``, ``in``,
    iteration); concurrent first accesses build one seam."""

    def __init__(self, factories: dict[str, Callable[[], Any]]):
        super().__init__()
        self._factories = factories
        self._lock = threading.RLock()  # a seam may ask for another while it is built

    def __missing__(self, name: str) -> Any:
        if name not in self._factories:
            raise KeyError(name)
        with self._lock:
            if dict.__contains__(self, name):
                return dict.__getitem__(self, name)
            seam = self._factories[name]()
            dict.__setitem__(self, name, seam)
            return seam

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return name in self._factories or dict.__contains__(self, name)

    def __len__(self) -> int:
        return len(set(self._factories) | set(dict.keys(self)))

    def _all(self) -> None:
        for name in self._factories:
            self[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.__iter__(self)

    def keys(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.keys(self)

    def values(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.values(self)

    def items(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.items(self)


@dataclass
class Registry:
    """The registered services in mount order; names and prefixes are unique."""

    specs: list[ServiceSpec] = field(default_factory=list)

    def register(self, spec: ServiceSpec) -> ServiceSpec:
        for known in self.specs:
            if known.name == spec.name or known.prefix == spec.prefix:
                raise ValueError(f"service {spec.name} ({spec.prefix}) clashes with "
                                 f"{known.name} ({known.prefix})")
        self.specs.append(spec)
        return spec

    def __iter__(self) -> Iterator[ServiceSpec]:
        return iter(list(self.specs))

    def get(self, name: str) -> ServiceSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def catalog_entries(self) -> list[tuple[str, str, str]]:
        return [entry.as_tuple() for spec in self.specs for entry in spec.catalog]

    def policy_rules(self) -> list[tuple[str, str]]:
        rules: list[tuple[str, str]] = []
        for spec in self.specs:
            for name in spec.policies:
                rules.extend(importlib.import_module(name).RULES)
        return rules

    def import_models(self) -> None:
        """Import every service's models so that ``Base.metadata`` knows all tables."""
        for spec in self.specs:
            for name in spec.models:
                importlib.import_module(name)

    def build_seams(self, platform: Platform | AgentContext) -> dict[str, Any]:
        """service name → the seam it offers (services that offer one); seams are built
        from the ``db`` and ``settings`` an API platform and an agent context both have."""
        return {spec.name: spec.seam(platform) for spec in self.specs  # type: ignore[arg-type]
                if spec.seam is not None}

    def lazy_seams(self, platform: Platform) -> LazySeams:
        """The seams of ``build_seams``, each built when first asked for: an API process
        answers its first requests (identity's) without importing its neighbours."""
        return LazySeams({spec.name: functools.partial(spec.seam, platform)
                          for spec in self.specs if spec.seam is not None})

    def with_seams(self, ctx: AgentContext) -> AgentContext:
        """``ctx`` with every service's seam, for agents that reach a neighbour. The seams
        are built over the returned context, whose ``seams`` dict they share: a seam that
        reaches a neighbour through its context (the volume seam reads images through the
        image seam) finds it, as it does on an API platform."""
        seams = dict(ctx.seams)
        out = replace(ctx, seams=seams)
        for name, seam in self.build_seams(out).items():
            seams.setdefault(name, seam)
        return out

    def seed(self, db: Database) -> None:
        """Every service's first-run data (after identity's bootstrap)."""
        for spec in self.specs:
            if spec.seed is not None:
                spec.seed(db)

    def bootstrap(self, db: Database, settings: Settings, admin_project_id: str) -> None:
        """Every service's all-in-one starting resources (``onestack up``, after seeding)."""
        for spec in self.specs:
            if spec.bootstrap is not None:
                spec.bootstrap(db, settings, admin_project_id)

    def agent_kinds(self) -> list[str]:
        return [runner.kind for spec in self.specs for runner in spec.agents]

    def agent(self, kind: str) -> AgentRunner:
        for spec in self.specs:
            for runner in spec.agents:
                if runner.kind == kind:
                    return runner
        raise KeyError(kind)

    def start_agents(self, ctx: AgentContext) -> Callable[[], None]:
        """Every registered runner (``onestack up``); returns one function stopping all."""
        ctx = self.with_seams(ctx)
        stops = [runner.start(ctx) for spec in self.specs for runner in spec.agents]

        def stop_all() -> None:
            for stop in stops:
                stop()
        return stop_all
