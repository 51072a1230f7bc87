"""Helpers shared by the test suites (not tests themselves): database backends, an in-process
HTTP client of the whole app, identity factories and multi-process helpers."""
