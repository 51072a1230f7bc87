"""Imports every model module so that ``Base.metadata`` knows all tables."""
from onestack.identity import catalog_models, models  # noqa: F401
