"""Errors the server turns into HTTP answers with a Chinese ``detail``."""

from __future__ import annotations


class ServerError(Exception):
    """A refusal with an HTTP status and a message for people."""

    status = 400
    code = "refused"
    """A stable machine-readable reason, sent beside the message (clients branch on it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(ServerError):
    """The request is not (validly) signed or the device is unknown."""

    status = 401


class Forbidden(ServerError):
    """The caller is known but may not do this (revoked, other township)."""

    status = 403


class Revoked(Forbidden):
    """The device, or the account it was enrolled under, was revoked by the county."""

    code = "revoked"


class NotFound(ServerError):
    """No such thing."""

    status = 404


class Conflict(ServerError):
    """The request contradicts what the server holds (already enrolled, replayed bundle)."""

    status = 409


class TooLarge(ServerError):
    """The request or bundle is over the configured limit."""

    status = 413


class Busy(ServerError):
    """The server is at its bound for this kind of request; the client may retry later."""

    status = 503
    code = "busy"
