"""A boot whose flavor cannot hold its image is refused at the API when the image record
tells (400, Nova's messages): ``min_ram`` above the flavor's memory, stored bytes or
``min_disk`` above the flavor's disk. A flavor disk of 0 means "the image's own size" and
is never too small. (A compressed image larger inside than the flavor's disk is only found
on the host: the dataplane tests boot one.)"""
from __future__ import annotations

import pytest

from onestack.core.db import Database
from onestack.image import models as im
from tests.functional.compute.servers_support import Nova, make_image, nova, owner
from tests.support.identity import Cloud, Member, unique

__all__ = ["nova", "owner"]  # fixtures, imported for pytest
GIB = 1 << 30


def set_image(sql: Database, image_id: str, **columns: object) -> None:
    def work(s) -> None:
        row = s.get(im.Image, image_id)
        for name, value in columns.items():
            setattr(row, name, value)
    sql.write(work)


def boot(nova: Nova, token: str, image_id: str, flavor: str = "42"):  # noqa: ANN201
    return nova("POST", "/servers", token, json={"server": {
        "name": unique("vm"), "imageRef": image_id, "flavorRef": flavor,
        "networks": "none"}}, version="2.37")


def refused(response, message: str) -> None:  # noqa: ANN001
    assert response.status_code == 400, response.text
    assert response.json() == {"badRequest": {"code": 400, "message": message}}


def test_min_ram_above_the_flavors_memory(nova: Nova, owner: Member, sql: Database,
                                          api) -> None:  # noqa: ANN001
    image = make_image(api, owner.token)
    set_image(sql, image, min_ram=256)  # m1.nano has 128 MiB
    refused(boot(nova, owner.token, image), "Flavor's memory is too small for requested image.")
    assert boot(nova, owner.token, image, flavor="84").status_code == 400  # 192 MiB
    set_image(sql, image, min_ram=128)
    assert boot(nova, owner.token, image).status_code == 202


def test_min_disk_above_the_flavors_disk(nova: Nova, owner: Member, sql: Database,
                                         api) -> None:  # noqa: ANN001
    image = make_image(api, owner.token)
    set_image(sql, image, min_disk=2)
    refused(boot(nova, owner.token, image),
            f"Flavor's disk is smaller than the minimum size specified in image metadata. "
            f"Flavor disk is {GIB} bytes, minimum size is {2 * GIB} bytes.")
    set_image(sql, image, min_disk=1)
    assert boot(nova, owner.token, image).status_code == 202


def test_stored_bytes_above_the_flavors_disk(nova: Nova, owner: Member, sql: Database,
                                             api) -> None:  # noqa: ANN001
    image = make_image(api, owner.token)
    set_image(sql, image, size=GIB + 1)  # what uploading a 1 GiB + 1 byte file records
    refused(boot(nova, owner.token, image),
            f"Flavor's disk is too small for requested image. Flavor disk is {GIB} bytes, "
            f"image is {GIB + 1} bytes.")
    set_image(sql, image, size=GIB)
    assert boot(nova, owner.token, image).status_code == 202


def test_a_flavor_disk_of_zero_takes_any_image(nova: Nova, owner: Member, sql: Database,
                                               cloud: Cloud, api) -> None:  # noqa: ANN001
    made = nova("POST", "/flavors", cloud.admin_token, json={"flavor": {
        "name": unique("zero-disk"), "ram": 128, "vcpus": 1, "disk": 0}})
    assert made.status_code == 200, made.text
    flavor = made.json()["flavor"]["id"]
    image = make_image(api, owner.token)
    set_image(sql, image, size=5 * GIB, min_disk=3)
    assert boot(nova, owner.token, image, flavor=flavor).status_code == 202


@pytest.mark.parametrize("column", ["min_ram", "min_disk", "size"])
def test_an_image_that_fits_is_accepted(nova: Nova, owner: Member, sql: Database,
                                        api, column: str) -> None:  # noqa: ANN001
    image = make_image(api, owner.token)
    set_image(sql, image, **{column: 0})
    assert boot(nova, owner.token, image).status_code == 202
