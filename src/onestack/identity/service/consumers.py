"""OAuth1 consumers: stored like any plain resource, except that the server makes the secret
(returned once, at creation) and nobody may change it."""
from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest


def prepare(s: Session, body: dict, row: Any) -> None:
    if row is None:
        body["secret"] = os.urandom(16).hex()
    elif "secret" in body:
        raise BadRequest("The consumer secret cannot be updated.")
