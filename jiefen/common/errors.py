"""One error type for every rule a service enforces.

Views show `message` to the person; the API returns `{"code", "message"}` with `status`.
"""

from __future__ import annotations


class ApplicationError(Exception):
    code = "invalid"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, extra: dict | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra or {}


class NotFound(ApplicationError):
    code = "not_found"
    status = 404


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403


class Conflict(ApplicationError):
    """Someone else changed the row first (compare-and-set lost)."""

    code = "conflict"
    status = 409
