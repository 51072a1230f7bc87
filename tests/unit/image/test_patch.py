import pytest

from onestack.core.errors import BadRequest, Conflict, Forbidden, UnsupportedMediaType
from onestack.image.service import patch

DOC = {"name": "a", "visibility": "private", "protected": False, "os_hidden": False,
       "owner": "p1", "container_format": "bare", "disk_format": "raw", "min_ram": 0,
       "min_disk": 0, "tags": [], "os_distro": "debian"}


def apply(*ops):
    return patch.apply(DOC, patch.parse(list(ops)))


def test_media_types():
    patch.check_media_type("application/openstack-images-v2.1-json-patch")
    patch.check_media_type("application/openstack-images-v2.0-json-patch; charset=UTF-8")
    with pytest.raises(UnsupportedMediaType):
        patch.check_media_type("application/json")


def test_both_spellings():
    assert apply({"op": "replace", "path": "/name", "value": "b"})["name"] == "b"
    assert apply({"replace": "/name", "value": "c"})["name"] == "c"


def test_add_replace_remove_custom_properties():
    out = apply({"op": "add", "path": "/hw_cpu_cores", "value": "4"},
                {"op": "replace", "path": "/os_distro", "value": "ubuntu"})
    assert (out["hw_cpu_cores"], out["os_distro"]) == ("4", "ubuntu")
    assert "os_distro" not in apply({"op": "remove", "path": "/os_distro"})
    assert apply({"op": "add", "path": "/a~1b~0c", "value": "x"})["a/b~c"] == "x"


def test_missing_properties_conflict():
    with pytest.raises(Conflict):
        apply({"op": "replace", "path": "/nope", "value": "x"})
    with pytest.raises(Conflict):
        apply({"op": "remove", "path": "/nope"})


def test_read_only_reserved_and_core_removal_are_forbidden():
    for path in ("/status", "/id", "/checksum", "/size", "/os_glance_x", "/deleted",
                 "/locations"):
        with pytest.raises(Forbidden):
            apply({"op": "add", "path": path, "value": "x"})
    with pytest.raises(Forbidden):
        apply({"op": "remove", "path": "/name"})


def test_values_are_validated():
    for op in ({"op": "replace", "path": "/visibility", "value": "everyone"},
               {"op": "replace", "path": "/disk_format", "value": "floppy"},
               {"op": "replace", "path": "/min_ram", "value": -1},
               {"op": "replace", "path": "/protected", "value": "yes"},
               {"op": "add", "path": "/custom", "value": 5},
               {"op": "replace", "path": "/name", "value": "n" * 256}):
        with pytest.raises(BadRequest):
            apply(op)


def test_malformed_patches():
    for body in ({"op": "add"}, [{"op": "move", "path": "/a"}], [{"op": "add", "path": "/a"}],
                 [{"op": "add", "path": "a", "value": 1}], [{"op": "add", "path": "/a/b",
                                                            "value": "1"}]):
        with pytest.raises(BadRequest):
            patch.parse(body)
