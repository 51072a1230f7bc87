"""Suite-wide configuration: markers and the database backends of this run.

``ONESTACK_TEST_DATABASES`` (comma list; ``sqlite`` or server URL prefixes such as
``mysql+pymysql://root@127.0.0.1``) chooses the backends every functional test runs on; see
``tests/support/databases.py``.
"""
from __future__ import annotations

import pytest

from tests.support.databases import configured_backends


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ha: starts real `onestack` processes (slow; runs by default, "
                   "deselect with -m 'not ha')")


def pytest_report_header(config: pytest.Config) -> str:
    kinds = ", ".join(f"{b.kind} ({b.spec})" for b in configured_backends())
    return f"onestack test databases: {kinds}"
