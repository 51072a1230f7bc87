from pathlib import Path

from onestack.image.stores import filesystem_stores, image_dir


def test_next_to_the_sqlite_file(tmp_path):
    assert image_dir(f"sqlite:///{tmp_path}/db/one.db", {}) == tmp_path / "db" / "images"


def test_relative_sqlite_path_is_made_absolute():
    assert image_dir("sqlite:///rel/one.db", {}) == Path("rel").resolve() / "images"


def test_server_databases_use_the_environment_then_home(tmp_path):
    url = "mysql+pymysql://root@127.0.0.1/onestack"
    assert image_dir(url, {"ONESTACK_IMAGE_DIR": str(tmp_path)}) == tmp_path
    assert image_dir(url, {}) == Path("~/.onestack/images").expanduser()
    assert image_dir("sqlite://", {}) == Path("~/.onestack/images").expanduser()


def test_staging_is_a_subdirectory(tmp_path):
    store, staging = filesystem_stores(f"sqlite:///{tmp_path}/x.db", {})
    assert staging.directory == store.directory / "staging"
    assert (store.name, staging.name) == ("file", "staging")
