"""Sessions of the county operators on the web pages, and their CSRF tokens.

An operator signs in with a named account (:mod:`server.operators`); the session is a row
of ``web_sessions`` in the county database, so several server processes share it
(``yinling serve --workers N``). The browser keeps only its random id in an HttpOnly,
SameSite=Strict cookie (Secure behind TLS); the table keeps a SHA-256 of that id, so no usable
id sits in the database. Each session carries its own random CSRF token, which every form
posts back. Sessions end after 30 minutes without a request, after eight hours in any case,
at sign-out, or when the operator's account is disabled.

The sign-in form itself is protected by a short-lived double-submit cookie, so another site
cannot sign a browser in behind the operator's back; every POST must also come from the
pages' own origin (:func:`origin_ok`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, select, update
from starlette.requests import Request
from starlette.responses import Response

from server.db.tables import operators, web_sessions
from server.operators import Operator
from server.timeutil import utcnow

SESSION_COOKIE = "yl_county_session"
SIGNIN_COOKIE = "yl_county_signin"
COOKIE_PATH = "/admin/ui"
LIFETIME_S = 8 * 3600
IDLE_S = 30 * 60
SIGNIN_LIFETIME_S = 30 * 60
TOUCH_S = 30  # the last-seen time is written at most this often per session
CSRF_FIELD = "csrf"


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(slots=True)
class WebSession:
    """One signed-in operator: who, the CSRF token, and messages for the next page (kept in
    the database row, so any server process can show them)."""

    key: str
    operator: Operator
    csrf: str
    engine: Engine
    flashes: list[tuple[str, str]] = field(default_factory=list)

    dirty: bool = False

    def flash(self, kind: str, text: str) -> None:
        """Show ``text`` on the next page (``kind`` is ``ok`` or ``error``); kept in the
        database when the answer is sent (:meth:`save`)."""
        self.flashes.append((kind, text))
        self.dirty = True

    def take_flashes(self) -> list[tuple[str, str]]:
        """The pending messages, removed from the session."""
        taken, self.flashes = self.flashes, []
        self.dirty = self.dirty or bool(taken)
        return taken

    def save(self) -> None:
        """Write the pending messages to the session's row, if they changed."""
        if not self.dirty:
            return
        with self.engine.begin() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.key_hash == self.key)
                         .values(flashes=json.dumps(self.flashes, ensure_ascii=False)))
        self.dirty = False

    def csrf_ok(self, submitted: str | None) -> bool:
        """Whether a form carried this session's CSRF token (constant-time)."""
        return bool(submitted) and hmac.compare_digest(
            str(submitted).encode(), self.csrf.encode())


class WebSessionStore:
    """The sessions of every server process, in the ``web_sessions`` table."""

    def __init__(self, engine: Engine, lifetime_s: float = LIFETIME_S,
                 idle_s: float = IDLE_S) -> None:
        self._engine = engine
        self._lifetime = timedelta(seconds=lifetime_s)
        self._idle = timedelta(seconds=idle_s)

    def create(self, operator: Operator) -> tuple[str, WebSession]:
        """A new session of ``operator``; the cookie value (shown once) and the session.
        Expired sessions are removed on the way."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        w = web_sessions.c
        with self._engine.begin() as conn:
            conn.execute(delete(web_sessions).where(
                (w.seen_at < now - self._idle) | (w.created_at < now - self._lifetime)))
            conn.execute(web_sessions.insert().values(
                key_hash=_key(cookie), operator_id=operator.id, csrf=csrf, created_at=now,
                seen_at=now, flashes="[]"))
        return cookie, WebSession(_key(cookie), operator, csrf, self._engine)

    def get(self, cookie: str | None) -> WebSession | None:
        """The live session of a cookie value, if any: not idle for 30 minutes, at most
        8 hours old, its operator not disabled. Using it keeps it alive."""
        if not cookie or len(cookie) > 128:
            return None
        key, now = _key(cookie), utcnow()
        w, o = web_sessions.c, operators.c
        with self._engine.begin() as conn:
            row = conn.execute(
                select(w.csrf, w.created_at, w.seen_at, w.flashes, o.id, o.username,
                       o.display_name, o.role, o.disabled_at)
                .join(operators, operators.c.id == w.operator_id)
                .where(w.key_hash == key)).first()
            if row is None:
                return None
            seen, created = _aware(row.seen_at), _aware(row.created_at)
            if row.disabled_at is not None or now - seen > self._idle or \
                    now - created > self._lifetime:
                conn.execute(delete(web_sessions).where(w.key_hash == key))
                return None
            if now - seen > timedelta(seconds=TOUCH_S):
                conn.execute(update(web_sessions).where(w.key_hash == key).values(seen_at=now))
        operator = Operator(int(row.id), str(row.username), str(row.display_name),
                            str(row.role))
        flashes = [(str(k), str(t)) for k, t in json.loads(row.flashes)]
        return WebSession(key, operator, str(row.csrf), self._engine, flashes)

    def drop(self, cookie: str | None) -> None:
        """End a session (sign-out)."""
        if cookie:
            with self._engine.begin() as conn:
                conn.execute(delete(web_sessions).where(web_sessions.c.key_hash == _key(cookie)))


def store_of(request: Request) -> WebSessionStore:
    """The session store of this app's database."""
    ctx = request.app.state.ctx
    return WebSessionStore(ctx.engine)


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over TLS (directly or through the documented proxy)."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip().lower() == "https"


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int) -> None:
    """Set one of the page cookies with the attributes every one of them gets."""
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=is_secure(request))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove one of the page cookies."""
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=is_secure(request))


def new_signin_token() -> str:
    """A fresh double-submit token for the sign-in form."""
    return secrets.token_urlsafe(24)


def signin_token_ok(cookie: str | None, submitted: str | None) -> bool:
    """Whether the sign-in form came from our own page (cookie and field agree)."""
    return bool(cookie) and bool(submitted) and hmac.compare_digest(
        str(cookie).encode(), str(submitted).encode())


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_ok(request: Request) -> bool:
    """Whether a POST comes from the pages' own origin: its ``Origin`` header (or, from a
    browser that sends none, its ``Referer``) names this scheme and host."""
    host = request.headers.get("host", "")
    if not host:
        return False
    own = f"{'https' if is_secure(request) else request.url.scheme}://{host}".lower()
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        return referer is not None and _origin_of(referer) == own
    return origin.lower() == own
