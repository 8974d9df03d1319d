"""Typed errors of the transactional core.

Every error has a machine ``code`` (``"unknown_material"``, ``"over_delivery"``, ...), a human
``message`` and optional ``details``; the HTTP layer maps the four classes to status codes once,
by class (``http_status``). A service raises before it writes anything, and a raised error
rolls its transaction back, so a failed call never leaves a partial write.

==================  ======  ==============================================================
class               status  used for
==================  ======  ==============================================================
:class:`BadRequest`  400    malformed input: zero or negative quantity, empty order, bad date
:class:`NotFound`    404    a named object does not exist: customer, material, order, ...
:class:`Conflict`    409    the state forbids it now: paying twice, over-delivery, stale version
:class:`Invalid`     422    a business rule says no: billing an undelivered item, no tax rate
==================  ======  ==============================================================

Example::

    try:
        create_sales_order(engine, order, today=date(2024, 3, 4))
    except OltpError as exc:
        exc.http_status, exc.to_dict()   # 404, {"error": "unknown_material", "message": ...}
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["BadRequest", "Conflict", "Invalid", "NotFound", "OltpError"]


class OltpError(Exception):
    """Base of every error the OLTP services raise on purpose."""

    http_status: ClassVar[int] = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """``{"error": code, "message": message, **details}`` (details as given)."""
        return {"error": self.code, "message": self.message, **self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class BadRequest(OltpError):
    """The input itself is malformed."""

    http_status = 400


class NotFound(OltpError):
    """An object the input names does not exist."""

    http_status = 404


class Conflict(OltpError):
    """The current state of the documents forbids the operation."""

    http_status = 409


class Invalid(OltpError):
    """A business rule rejects the operation."""

    http_status = 422
