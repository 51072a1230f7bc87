"""Networking tables (all prefixed ``network_``), one module per area."""
