"""The ``volume_*`` tables. Every module of this package is a model module: importing the
package imports them all (``vol0001`` creates the tables from them)."""
from __future__ import annotations

import importlib
import pkgutil


def import_all() -> list[str]:
    names = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)]
    for name in names:
        importlib.import_module(name)
    return names


MODEL_MODULES = tuple(import_all())
