"""The identity service's use cases, wired to one database and one settings object."""
