"""The Slicer API's error bodies (slicer-api.md §1.13), chosen once, by exception class.

* **Shape A** (:class:`SlicerHTTPError` and subclasses): ``{"error": {"message", "type", ...}}``,
  always indented by 4, whatever ``prettyprint`` says (COMPAT).
* **Shape B** (:class:`~kubus.model.errors.UserError`): the flat ``{"error": error_type,
  "message", "hint"?, ...}``; 404 for ``missing_object``, else 400; ``prettyprint``-aware.
* **Shape C** (:class:`~kubus.model.errors.InternalError` and any unexpected exception): a
  generic 500 body; the details only go to the log.
* **Shape D** (URLs that match no route): the flat JSON ``not_found`` body (defect 17 FIX).

No error is ever answered with HTML.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kubus.model.errors import KubusError, UserError

log = logging.getLogger(__name__)

JSON_MIMETYPE = "application/json"

INTERNAL_ERROR_BODY = {
    "error": "internal_server_error",
    "message": "Internal server error",
    "hint": "Server administrators can learn more about the error from the error logs "
            "(even more if they have 'debug' level)",
}
NOT_FOUND_BODY = {
    "error": "not_found",
    "message": "The requested URL was not found on the server.",
    "hint": "If you entered the URL manually please check your spelling and try again.",
}


class SlicerHTTPError(Exception):
    """A shape-A error: a status, a ``type`` and a message (which may be ``None``)."""

    status = 500
    error_type = "internal_server_error"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.error_type, **self.extra}}


class RequestError(SlicerHTTPError):
    """A malformed request parameter or body (400 ``request``)."""

    status = 400
    error_type = "request"


class NotAuthenticatedError(SlicerHTTPError):
    status = 401
    error_type = "not_authenticated"

    def __init__(self, message: str | None = None, *, realm: str = "Default") -> None:
        super().__init__(message, headers={"WWW-Authenticate": f'Basic realm="{realm}"'})


class NotAuthorizedError(SlicerHTTPError):
    status = 403
    error_type = "not_authorized"


class PageNotFoundError(SlicerHTTPError):
    status = 404
    error_type = "not_found"


class NotFoundError(SlicerHTTPError):
    """A named object does not exist (404 ``object_not_found``, with ``object``/``object_type``)."""

    status = 404
    error_type = "object_not_found"

    def __init__(self, obj: str, object_type: str, message: str | None = None) -> None:
        super().__init__(message or f"Object '{obj}' of type '{object_type}' was not found",
                         object=obj, object_type=object_type)


# Responses ----------------------------------------------------------------------------------

def json_error(body: dict[str, Any], status: int, *, indent: int | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """A complete (not streamed) JSON error response, so it carries a Content-Length."""
    text = json.dumps(body, indent=indent, default=str)
    response = Response(text, status=status, mimetype=JSON_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def shape_a(error: SlicerHTTPError) -> Response:
    return json_error(error.to_dict(), error.status, indent=4, headers=error.headers)


class ErrorResponder:
    """The error handlers of one app; ``prettyprint_default`` is ``[server] prettyprint``."""

    def __init__(self, prettyprint_default: bool = False) -> None:
        self.prettyprint_default = prettyprint_default

    def indent(self) -> int | None:
        """The ``prettyprint`` of the current request, for the shape B/C/D bodies."""
        from kubus.server.slicer.params import prettyprint

        try:
            return 4 if prettyprint(request.args, self.prettyprint_default) else None
        except Exception:  # an error page must never fail
            return None

    def shape_b(self, error: UserError) -> Response:
        status = 404 if error.error_type == "missing_object" else 400
        return json_error(error.to_dict(), status, indent=self.indent())

    def shape_c(self) -> Response:
        return json_error(dict(INTERNAL_ERROR_BODY), 500, indent=self.indent())

    def kubus_error(self, error: KubusError) -> Response:
        # Authorization and authentication errors of the workspace travel as KubusErrors with
        # these machine codes; the Slicer API answers them with its nested shape (§1.13 A).
        if error.error_type == "not_authorized":
            return shape_a(NotAuthorizedError(error.message))
        if error.error_type == "not_authenticated":
            realm = str(error.extra.get("realm") or "Default")
            return shape_a(NotAuthenticatedError(None, realm=realm))
        if isinstance(error, UserError):
            return self.shape_b(error)
        log.error("Internal error while serving %s %s: %s", request.method, request.path,
                  error, exc_info=error)
        return self.shape_c()

    def http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        if status == 404:
            return json_error(dict(NOT_FOUND_BODY), 404, indent=self.indent())
        if status >= 500:
            log.error("HTTP %s while serving %s: %s", status, request.path, error.description)
            return self.shape_c()
        body = {"error": (error.name or "error").lower().replace(" ", "_"),
                "message": error.description}
        headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
        return json_error(body, status, indent=self.indent(), headers=headers)

    def unexpected(self, error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return self.http_exception(error)
        log.exception("Unexpected error while serving %s %s", request.method, request.path,
                      exc_info=error)
        return self.shape_c()


def register_error_handlers(app: Flask, *, prettyprint_default: bool = False) -> None:
    """Install the JSON handlers; Flask picks the most specific class (MRO lookup)."""
    responder = ErrorResponder(prettyprint_default)
    app.register_error_handler(SlicerHTTPError, shape_a)
    app.register_error_handler(KubusError, responder.kubus_error)
    app.register_error_handler(HTTPException, responder.http_exception)
    app.register_error_handler(Exception, responder.unexpected)


__all__ = [
    "INTERNAL_ERROR_BODY", "NOT_FOUND_BODY", "ErrorResponder", "NotAuthenticatedError",
    "NotAuthorizedError", "NotFoundError", "PageNotFoundError", "RequestError",
    "SlicerHTTPError", "json_error", "register_error_handlers", "shape_a",
]
