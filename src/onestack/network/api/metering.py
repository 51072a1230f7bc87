"""``/v2.0/metering/metering-labels`` and ``/v2.0/metering/metering-label-rules``."""
from __future__ import annotations

from onestack.core.http import RouteTable
from onestack.network.api.common import crud_routes
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    r = crud_routes(deps.get("metering_labels"), path="metering/metering-labels",
                    update=False)
    rules = crud_routes(deps.get("metering_label_rules"),
                        path="metering/metering-label-rules", update=False)
    r.routes.extend(rules.routes)
    return r
