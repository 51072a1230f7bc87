"""Imports every registered service's models (``ServiceSpec.models``) so that
``Base.metadata`` knows all tables; importing this module does it."""
from onestack.server import default_registry

default_registry().import_models()
