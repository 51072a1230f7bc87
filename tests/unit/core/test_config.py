"""Settings precedence: defaults < config file < environment < command line."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from onestack.core.config import (SecurityCompliance, Settings, load_settings,
                                  tempest_security_compliance)


@pytest.fixture
def config_file(tmp_path: Path):
    def write(data) -> str:
        path = tmp_path / "onestack.yaml"
        path.write_text(yaml.safe_dump(data))
        return str(path)
    return write


def test_defaults_without_any_source():
    settings = load_settings(cli={}, environ={})
    assert settings == Settings()
    assert settings.port == 8080 and settings.password_hash_rounds == 12
    assert settings.security_compliance == SecurityCompliance()


def test_file_overrides_defaults(config_file):
    path = config_file({"port": 9001, "region": "RegionTwo", "token_expiration": 60})
    settings = load_settings(cli={}, config_file=path, environ={})
    assert (settings.port, settings.region, settings.token_expiration) == (9001, "RegionTwo", 60)


def test_environment_overrides_file(config_file):
    path = config_file({"port": 9001, "region": "RegionTwo"})
    settings = load_settings(cli={}, config_file=path, environ={"ONESTACK_PORT": "9002"})
    assert settings.port == 9002  # coerced to int
    assert settings.region == "RegionTwo"  # not in the environment: the file still counts


def test_cli_overrides_environment_and_file(config_file):
    path = config_file({"port": 9001, "log_level": "debug"})
    settings = load_settings(cli={"port": 9003}, config_file=path,
                             environ={"ONESTACK_PORT": "9002", "ONESTACK_LOG_LEVEL": "warning"})
    assert settings.port == 9003
    assert settings.log_level == "warning"


def test_cli_options_left_unset_do_not_override(config_file):
    path = config_file({"host": "0.0.0.0"})
    settings = load_settings(cli={"host": None, "port": None}, config_file=path,
                             environ={"ONESTACK_PORT": "7000"})
    assert (settings.host, settings.port) == ("0.0.0.0", 7000)


def test_config_file_named_by_environment(config_file):
    path = config_file({"workers": 3})
    settings = load_settings(cli={}, environ={"ONESTACK_CONFIG_FILE": path})
    assert settings.workers == 3


def test_dashed_keys_in_file_and_cli(config_file):
    path = config_file({"database-url": "sqlite:////tmp/x.db"})
    settings = load_settings(cli={"public-url": "http://cloud.example:5000/"},
                             config_file=path, environ={})
    assert settings.database_url == "sqlite:////tmp/x.db"
    assert settings.base_url == "http://cloud.example:5000"


def test_security_compliance_nested_in_file_flat_in_env(config_file):
    path = config_file({"security_compliance": {"lockout_failure_attempts": 5,
                                                "lockout_duration": 60}})
    settings = load_settings(
        cli={}, config_file=path,
        environ={"ONESTACK_SECURITY_COMPLIANCE_LOCKOUT_DURATION": "30",
                 "ONESTACK_SECURITY_COMPLIANCE_CHANGE_PASSWORD_UPON_FIRST_USE": "yes"})
    sc = settings.security_compliance
    assert sc.lockout_failure_attempts == 5  # file
    assert sc.lockout_duration == 30  # environment beats the file
    assert sc.change_password_upon_first_use is True  # "yes" coerced to a bool
    assert sc.unique_last_password_count == 0  # default kept


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("On", True),
                                          ("0", False), ("no", False), ("off", False)])
def test_boolean_coercion(raw, expected):
    settings = load_settings(
        cli={}, environ={"ONESTACK_SECURITY_COMPLIANCE_CHANGE_PASSWORD_UPON_FIRST_USE": raw})
    assert settings.security_compliance.change_password_upon_first_use is expected


def test_unknown_keys_and_foreign_variables_are_ignored(config_file):
    path = config_file({"no_such_option": 1})
    settings = load_settings(cli={"command": "api"}, config_file=path,
                             environ={"ONESTACK_TEST_DATABASES": "sqlite", "HOME": "/root"})
    assert settings == Settings()


def test_file_that_is_not_a_mapping_is_refused(config_file):
    path = config_file(["port", 9001])
    with pytest.raises(ValueError, match="expected a mapping"):
        load_settings(cli={}, config_file=path, environ={})


def test_empty_file_means_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_settings(cli={}, config_file=str(path), environ={}) == Settings()


def test_base_url_for_wildcard_hosts_and_public_url():
    assert Settings(host="0.0.0.0", port=5000).base_url == "http://127.0.0.1:5000"
    assert Settings(host="10.0.0.5", port=80).base_url == "http://10.0.0.5:80"
    assert Settings(public_url="https://cloud/").base_url == "https://cloud"


def test_settings_are_immutable_and_replace_makes_a_copy():
    settings = Settings()
    changed = settings.replace(port=1)
    assert (settings.port, changed.port) == (8080, 1)
    with pytest.raises(AttributeError):
        settings.port = 2  # type: ignore[misc]


def test_tempest_security_compliance_preset():
    sc = tempest_security_compliance()
    assert (sc.lockout_failure_attempts, sc.lockout_duration, sc.unique_last_password_count) \
        == (2, 5, 2)
