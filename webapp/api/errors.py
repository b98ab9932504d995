"""Every API failure is one JSON shape: `{"error": code, "message": text, "details": ...}`.

Engine errors carry their own status; Werkzeug's (404, 405, 413, ...) are translated; anything
unexpected is logged with its trace and answered with a calm 500 that shows no trace.
"""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from ..error_pages import register_database_unavailable
from .respond import reply

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "A valid bearer token is required."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "Someone else changed this first."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send JSON (Content-Type: application/json)."),
    422: ("rejected", "The request was refused by a rule."),
    429: ("too_many_requests", "Too many attempts; wait a moment and try again."),
    500: ("internal_error", "Something went wrong on our side; the error has been logged."),
    503: ("unavailable", "The service is busy or the database did not answer; try again shortly."),
}


class ApiError(Exception):
    """A refusal decided by the API layer itself (bad JSON, wrong content type, no token)."""

    def __init__(self, status: int, message: str | None = None, details=None, code: str | None = None,
                 headers: dict | None = None):
        default_code, default_message = HTTP_CODES.get(status, ("error", "The request failed."))
        super().__init__(message or default_message)
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.details = details
        self.headers = headers or {}

    def to_dict(self) -> dict:
        """The response body."""
        return {"error": self.code, "message": self.message, "details": self.details}


def bad_input(details: dict, message: str = "some fields are missing or invalid") -> ApiError:
    """400 listing each bad field, the same shape as the engine's InvalidInput."""
    return ApiError(400, message, details, code="invalid_input")


def unauthorized(message: str = "a valid bearer token is required") -> ApiError:
    """401 with the WWW-Authenticate challenge clients expect."""
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="complaintflow"'})


def error_body(status: int, message: str | None = None, code: str | None = None, details=None) -> dict:
    """The error object for a bare HTTP status."""
    default_code, default_message = HTTP_CODES.get(status, ("error", "The request failed."))
    return {"error": code or default_code, "message": message or default_message, "details": details}


def handle_api_error(error: ApiError):
    """A refusal of the API layer, as decided."""
    return reply(error.to_dict(), error.status, error.headers)


def handle_engine_error(error: EngineError):
    """An engine refusal: its own status, code, message and details (a 401 with its challenge, and
    when to retry, if it says)."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="complaintflow"'
    return reply(error.to_dict(), error.status, headers)


def handle_http_error(error: HTTPException):
    """Werkzeug's errors (a 413 from MAX_CONTENT_LENGTH, a 400 from a broken form) as JSON."""
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        return handle_unexpected(error)
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return reply(error_body(error.code), error.code, headers)


def handle_unexpected(error: Exception):
    """Log the trace for operators; answer without it."""
    current_app.logger.error("API failure on %s %s", request.method, request.path, exc_info=error)
    return reply(error_body(500), 500)


def register(bp) -> None:
    """Attach the handlers to the API blueprint (they apply to its views only)."""
    bp.register_error_handler(ApiError, handle_api_error)
    bp.register_error_handler(EngineError, handle_engine_error)
    bp.register_error_handler(HTTPException, handle_http_error)
    bp.register_error_handler(Exception, handle_unexpected)
    register_database_unavailable(bp)  # 503 {"error": "database_unavailable"}, not the 500 above
