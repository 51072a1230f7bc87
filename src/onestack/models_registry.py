"""Imports every model module so that ``Base.metadata`` knows all tables."""
from onestack.identity import catalog_models, models  # noqa: F401
from onestack.compute import models as compute_models  # noqa: F401
from onestack.placement import models as placement_models  # noqa: F401
from onestack.image import models as image_models  # noqa: F401
