"""Proving a user's password: for token issue and for the self-service password change alike.

Every failure is the same bare 401 and costs the same one password hash, whether the user is
unknown, disabled or just mistyped (issue 7, F16: 0.54 s against 0.007 s told an attacker
which names exist). Under security compliance every wrong password counts toward lockout —
the password change too (F9) — except for users with the option
``ignore_lockout_failure_attempts`` (Keystone's name; F17).
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Settings
from onestack.core.db import Database, utcnow
from onestack.core.errors import ValidationError, Unauthorized
from onestack.identity import models as m
from onestack.identity import passwords

IGNORE_LOCKOUT = "ignore_lockout_failure_attempts"


def find_user(s: Session, ref: dict[str, Any]) -> m.User | None:
    """The user a ``{"id"}`` or ``{"name", "domain": {"id" | "name"}}`` reference names."""
    if ref.get("id"):
        return s.get(m.User, ref["id"]) if isinstance(ref["id"], str) else None
    name, dom = ref.get("name"), ref.get("domain") or {}
    if not isinstance(name, str) or not isinstance(dom, dict):
        return None
    if not dom:
        raise ValidationError("Expecting to find domain in user. The server could not comply "
                              "with the request since it is either malformed or otherwise "
                              "incorrect.")
    domain_id = dom.get("id")
    if not domain_id and dom.get("name"):
        domain_id = s.scalar(sa.select(m.Project.id).where(m.Project.is_domain.is_(True),
                                                           m.Project.name == dom["name"]))
    if not domain_id:
        return None
    return s.scalar(sa.select(m.User).where(m.User.domain_id == domain_id,
                                            m.User.name == name))


def usable(s: Session, user: m.User) -> bool:
    """Enabled, in an enabled domain."""
    domain = s.get(m.Project, user.domain_id)
    return bool(user.enabled and domain is not None and domain.enabled)


def lockout_exempt(user: m.User) -> bool:
    return (user.options or {}).get(IGNORE_LOCKOUT) is True


class PasswordCheck:
    """Checks passwords against the database with lockout and constant-cost failures."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def dummy_hash(self) -> str:
        """A hash of a random secret at the configured cost, made once, compared against
        when there is no real hash to compare with."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = passwords.hash_secret(os.urandom(16).hex(),
                                                    self.settings.password_hash_rounds)
            return self._dummy

    def refuse(self, password: str, message: str | None = None) -> NoReturn:
        """Spend one hash comparison, then 401: failure costs the same on every path."""
        passwords.check_secret(password, self.dummy_hash())
        raise Unauthorized(message) if message else Unauthorized()

    def verify(self, ref: dict[str, Any], password: str) -> m.User:
        """The user ``ref`` names if ``password`` is theirs and they may log in; else 401."""
        def load(s: Session) -> m.User | None:
            user = find_user(s, ref)
            return user if user is not None and usable(s, user) else None

        user = self.db.read(load)
        if user is None:
            self.refuse(password)
        assert user is not None
        sc = self.settings.security_compliance
        now = utcnow()
        exempt = lockout_exempt(user)
        if self._locked(user, now) and not exempt:
            self.refuse(password, f"The account is locked for user: {user.id}.")
        if not passwords.check_secret(password, user.password_hash):
            if sc.lockout_failure_attempts and not exempt:
                self.db.write(lambda s: self._count_failure(s, user.id, now))
            raise Unauthorized()
        if user.failed_auth_count:
            self.db.write(lambda s: self._reset(s, user.id))
        return user

    def _locked(self, user: m.User, now: datetime) -> bool:
        sc = self.settings.security_compliance
        return bool(sc.lockout_failure_attempts and
                    (user.failed_auth_count or 0) >= sc.lockout_failure_attempts and
                    user.last_failed_auth_at and
                    user.last_failed_auth_at + timedelta(seconds=sc.lockout_duration) > now)

    def _count_failure(self, s: Session, user_id: str, now: datetime) -> None:
        u = s.get(m.User, user_id)
        if u is None:
            return
        duration = self.settings.security_compliance.lockout_duration
        if u.last_failed_auth_at and duration and \
                u.last_failed_auth_at + timedelta(seconds=duration) <= now:
            u.failed_auth_count = 0  # the previous window is over: a new count starts
        u.failed_auth_count = (u.failed_auth_count or 0) + 1
        u.last_failed_auth_at = now

    @staticmethod
    def _reset(s: Session, user_id: str) -> None:
        u = s.get(m.User, user_id)
        if u is not None:
            u.failed_auth_count = 0
