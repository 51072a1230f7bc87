"""Version documents under /volume: unauthenticated, Cinder's shape (Tempest's
volume versions schemas), the newest microversion served."""
from __future__ import annotations

from onestack.volume.app import MICROVERSIONS
from tests.functional.volume.conftest import VolApi

REQUIRED = {"status", "updated", "id", "links", "min_version", "version", "media-types"}


def _check(entry: dict) -> None:
    assert REQUIRED <= set(entry)
    assert entry["id"] == "v3.0" and entry["status"] == "CURRENT"
    assert entry["min_version"] == "3.0"
    assert entry["version"] == MICROVERSIONS.maximum
    selfs = [link["href"] for link in entry["links"] if link["rel"] == "self"]
    assert selfs == ["http://onestack.test/volume/v3/"]
    assert entry["media-types"][0]["base"] == "application/json"


def test_root_is_multiple_choices_without_a_token(vol: VolApi) -> None:
    for path in ("/volume", "/volume/"):
        response = vol.http.get(path)
        assert response.status_code == 300, response.text
        (entry,) = response.json()["versions"]
        _check(entry)


def test_v3_document_without_a_token(vol: VolApi) -> None:
    for path in ("/volume/v3", "/volume/v3/"):
        response = vol.http.get(path)
        assert response.status_code == 200, response.text
        (entry,) = response.json()["versions"]
        _check(entry)


def test_tempest_show_version_round_trip(vol: VolApi) -> None:
    """Tempest's test_show_version: each listed id's major version answers with that id."""
    for entry in vol.http.get("/volume/").json()["versions"]:
        major = entry["id"].split(".")[0]
        shown = vol.http.get(f"/volume/{major}/").json()["versions"][0]
        assert shown["id"] == entry["id"]
