"""The JSON API's one error shape, chosen once, by exception class.

Every error answer of ``/api/v1`` has this body (and ``Content-Type: application/json``)::

    {"error": {"status": 409, "code": "over_delivery",
               "message": "item 10: 70 requested but only 60 confirmed, due and not yet delivered",
               "details": [{"order_id": 4711, "order_item": 10, "deliverable": "60.000"}]}}

``code`` is machine-readable and stable; ``message`` is for people; ``details`` is a list of
objects: for a body that fails validation one ``{"pointer": "/items/0/quantity", "message"}``
per problem (all of them at once), for a refused business operation the objects it names.

Status by class: 400 malformed JSON, schema violations and malformed values (zero or negative
quantity, too many decimals); 404 the object the URL names does not exist; 409 the state of the
documents forbids it now (over-delivery, paying twice, stale version, idempotency key reused
with another request); 422 a business rule says no, including a body that *refers* to an object
that does not exist (see :func:`from_oltp`); 413/415 too large or not JSON; 405 wrong method;
500 a bug, with a generic body (details only in the log). Never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kubus.oltp.errors import NotFound, OltpError
from kubus.server.api.encoding import to_jsonable

__all__ = ["ERROR_SCHEMA", "STATUS_TEXT", "ApiError", "error_response", "from_oltp", "handle",
           "install_error_handlers", "problem_details"]

log = logging.getLogger(__name__)

#: The statuses the API answers with, and what each means (also the OpenAPI descriptions).
STATUS_TEXT = {
    400: "Malformed request: invalid JSON, a body or parameter that violates the schema, or "
         "a malformed value (e.g. a zero or negative quantity).",
    404: "The object the URL names does not exist (or no such URL).",
    405: "The URL exists but not with this method.",
    409: "The current state forbids the operation: over-delivery, paying a cleared item, "
         "stale version, insufficient stock, or an Idempotency-Key reused with another request.",
    413: "The request body is larger than 1 MB.",
    415: "The request body is not JSON.",
    422: "A business rule refuses the request, or the body refers to an object that does "
         "not exist (unknown customer, material, currency, delivery, ...).",
    500: "An internal error; nothing was written. Details are in the server log only.",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one error shape of the JSON API.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "details"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "integer", "description": "The HTTP status, repeated."},
            "code": {"type": "string", "description": "Machine-readable reason, e.g. "
                     "over_delivery, unknown_material, invalid_body."},
            "message": {"type": "string", "description": "Human-readable explanation."},
            "details": {"type": "array", "items": {"type": "object"},
                        "description": "Objects the error names; for invalid bodies one "
                                       "{pointer, message} per problem."},
        },
    }},
}


class ApiError(Exception):
    """An error answer: status, code, message and detail objects."""

    def __init__(self, status: int, code: str, message: str,
                 details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "code": self.code, "message": self.message,
                          "details": to_jsonable(self.details)}}


def from_oltp(error: OltpError, *, in_body: bool) -> ApiError:
    """The API error for a service error; its class gives the status.

    A :class:`~kubus.oltp.errors.NotFound` raised while a service runs concerns something the
    *body* names (an unknown material in an order, an unknown delivery in an invoice): the
    views check the objects the URL names themselves, beforehand. That is a 422, not a 404:
    the URL is right and the request well-formed, but its content cannot be processed; a 404
    would tell clients, caches and retry logic that the endpoint itself does not exist.
    """
    status = 422 if in_body and isinstance(error, NotFound) else error.http_status
    return ApiError(status, error.code, error.message,
                    [dict(error.details)] if error.details else [])


def error_response(error: ApiError) -> Response:
    response = Response(json.dumps(error.body()), status=error.status,
                        mimetype="application/json")
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _http_error(error: HTTPException) -> ApiError:
    status = error.code or 500
    if status >= 500:
        return _internal()
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
            415: "unsupported_media_type"}.get(status) or (
        (error.name or "error").lower().replace(" ", "_"))
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    message = error.description or error.name or "error"
    if status == 404:
        message = f"no such URL: {request.path}"
    return ApiError(status, code, message, headers=headers)


def _internal() -> ApiError:
    return ApiError(500, "internal_error", "internal server error; nothing was written. "
                    "The server log has the details.")


def handle(error: Exception) -> Response:
    """The error response for any exception raised while serving the API."""
    if isinstance(error, ApiError):
        return error_response(error)
    if isinstance(error, OltpError):
        return error_response(from_oltp(error, in_body=False))
    if isinstance(error, HTTPException):
        return error_response(_http_error(error))
    if isinstance(error, sa.exc.DataError):
        # A value the database refused that the schema did not catch: still the client's.
        log.warning("database refused a value at %s %s: %s", request.method, request.path,
                    str(error.orig).splitlines()[0] if error.orig else error)
        return error_response(ApiError(400, "invalid_value", "a value does not fit its "
                                       "database column (too long, too large or malformed)"))
    log.exception("Unexpected error while serving %s %s", request.method, request.path,
                  exc_info=error)
    return error_response(_internal())


def install_error_handlers(app: Flask, prefix: str,
                           fallback: Callable[[Exception], Response | tuple[Any, int]]) -> None:
    """Answer every error under ``prefix`` in the API shape, everything else by ``fallback``.

    App-level, because URLs that match no route (404) or no method (405) never reach a
    blueprint's handlers; Flask picks the handler by class, so one for ``Exception`` sees all.
    """

    def dispatch(error: Exception) -> Response | tuple[Any, int]:
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return handle(error)
        return fallback(error)

    app.register_error_handler(Exception, dispatch)
    app.register_error_handler(HTTPException, dispatch)


def problem_details(problems: list[Any]) -> list[dict[str, Any]]:
    """``Problem`` tuples as detail objects."""
    return [{"pointer": p.pointer, "message": p.message} for p in problems]

