"""Sessions of the county operator on the web pages, and their CSRF tokens.

Signing in with the admin token creates a session held in this process's memory; the browser
keeps only its random id in an HttpOnly, SameSite=Strict cookie (Secure behind TLS). The
store keeps a SHA-256 of that id, so neither the token nor a usable id sits in the table.
Each session carries its own random CSRF token, which every form posts back. Sessions end
after eight hours, at sign-out, or when the server restarts (the server runs one process).

The sign-in form itself is protected by a short-lived double-submit cookie, so another site
cannot sign a browser in behind the operator's back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "yl_county_session"
SIGNIN_COOKIE = "yl_county_signin"
COOKIE_PATH = "/admin/ui"
LIFETIME_S = 8 * 3600
SIGNIN_LIFETIME_S = 30 * 60
MAX_SESSIONS = 64  # a county has a handful of operators; the oldest is dropped beyond this
CSRF_FIELD = "csrf"


@dataclass(slots=True)
class Session:
    """One signed-in operator: CSRF token, expiry, and messages for the next page."""

    csrf: str
    expires: float
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def flash(self, kind: str, text: str) -> None:
        """Show ``text`` on the next page (``kind`` is ``ok`` or ``error``)."""
        self.flashes.append((kind, text))

    def take_flashes(self) -> list[tuple[str, str]]:
        """The pending messages, removed from the session."""
        taken, self.flashes = self.flashes, []
        return taken

    def csrf_ok(self, submitted: str | None) -> bool:
        """Whether a form carried this session's CSRF token (constant-time)."""
        return bool(submitted) and hmac.compare_digest(
            str(submitted).encode(), self.csrf.encode())


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


class SessionStore:
    """The live sessions of one server process (thread-safe)."""

    def __init__(self, lifetime_s: float = LIFETIME_S, limit: int = MAX_SESSIONS) -> None:
        self._lifetime = lifetime_s
        self._limit = limit
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self) -> tuple[str, Session]:
        """A new session; the cookie value (shown once) and the session."""
        cookie = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32),
                          expires=time.monotonic() + self._lifetime)
        with self._lock:
            self._purge()
            while len(self._sessions) >= self._limit:
                oldest = min(self._sessions, key=lambda k: self._sessions[k].expires)
                del self._sessions[oldest]
            self._sessions[_key(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value, if any."""
        if not cookie or len(cookie) > 128:
            return None
        with self._lock:
            session = self._sessions.get(_key(cookie))
            if session is not None and session.expires <= time.monotonic():
                del self._sessions[_key(cookie)]
                return None
            return session

    def drop(self, cookie: str | None) -> None:
        """End a session (sign-out)."""
        if cookie:
            with self._lock:
                self._sessions.pop(_key(cookie), None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[key]


_STORE_LOCK = threading.Lock()


def store_of(request: Request) -> SessionStore:
    """The session store of this app (made on first use, kept in ``app.state``)."""
    state = request.app.state
    with _STORE_LOCK:
        store = getattr(state, "ui_sessions", None)
        if store is None:
            store = SessionStore()
            state.ui_sessions = store
    assert isinstance(store, SessionStore)
    return store


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
