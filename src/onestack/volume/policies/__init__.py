"""Default Block Storage policy rules (admin / member / reader personas, project scope).
Each area keeps its rules in a module of this package (``RULES``); ``RULES`` here is all of
them. An operator's policy file overrides any rule by name. Targets carry the resource's
``project_id``; what a caller cannot see (another project's volume) is a 404 decided
before any rule runs, never a 403."""
from __future__ import annotations

import importlib
import pkgutil

ADMIN = "role:admin"
READER = f"{ADMIN} or (role:reader and project_id:%(target.project_id)s)"
MEMBER = f"{ADMIN} or (role:member and project_id:%(target.project_id)s)"


def _collect() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = [("volume:context_is_admin", ADMIN)]
    for m in pkgutil.iter_modules(__path__):
        rules.extend(importlib.import_module(f"{__name__}.{m.name}").RULES)
    return rules


RULES: list[tuple[str, str]] = _collect()
