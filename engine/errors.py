"""Errors the engine raises; the web layer maps each to one HTTP status.

They carry plain data only, so a view can render them without knowing the engine.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class: `code` is a stable machine word, `message` a human sentence."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds a client should wait before trying again (Retry-After)

    def __init__(self, message: str, details: dict | list | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message, "details": self.details}


class InvalidInput(EngineError):
    """400: the input is malformed; `details` maps each bad field to its reason."""

    status = 400
    code = "invalid_input"


class Unauthorized(EngineError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(EngineError):
    """429: too many failed sign-ins (or look-ups) for an account or a client address;
    `retry_after` says in how many seconds to try again."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class Forbidden(EngineError):
    status = 403
    code = "forbidden"


class NotFound(EngineError):
    """404: missing, or not visible to the caller (a hidden case is never confirmed)."""

    status = 404
    code = "not_found"


class Conflict(EngineError):
    """409: already claimed, not held by the caller, or a stale case version."""

    status = 409
    code = "conflict"


class TooLarge(EngineError):
    status = 413
    code = "too_large"


class Rejected(EngineError):
    """422: well-formed but refused by a rule (e.g. anonymity not allowed for this type)."""

    status = 422
    code = "rejected"


class DeploymentInvalid(InvalidInput):
    """400 on deploy: `details` is a list of problems, each with file, element and message."""

    code = "invalid_process"


class WorkflowFailed(EngineError):
    """A service task or script failed; the case is left as it was before the step."""

    status = 422
    code = "workflow_failed"


class DatabaseBusy(Conflict):
    """409: a lock this change needs stayed held past the lock timeout (or a deadlock); retry."""

    code = "busy"
    retry_after = 1


class DatabaseUnavailable(EngineError):
    """503: the database did not answer in time (statement timeout) or the connection dropped."""

    status = 503
    code = "unavailable"
    retry_after = 5
