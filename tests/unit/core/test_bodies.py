"""Body limits come from the settings, and nonsense limits stop the start instead of
making every request time out at once or every upload wait for ever."""
from __future__ import annotations

import pytest

from onestack.core.bodies import BodyLimits
from onestack.core.config import Settings, load_settings


def test_limits_from_settings_and_environment():
    settings = load_settings(environ={"ONESTACK_BODY_IDLE_TIMEOUT": "2.5",
                                      "ONESTACK_UPLOAD_WORKERS": "4"})
    limits = BodyLimits.from_settings(settings)
    assert (limits.idle_timeout, limits.upload_slots) == (2.5, 4)
    assert BodyLimits.from_settings(Settings()).idle_timeout == 30.0


@pytest.mark.parametrize("changes", [{"body_idle_timeout": 0}, {"body_idle_timeout": -1},
                                     {"upload_workers": 0}])
def test_nonsense_limits_are_refused(changes):
    with pytest.raises(ValueError):
        BodyLimits.from_settings(Settings().replace(**changes))
