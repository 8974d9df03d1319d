"""Typed errors of the scheduling layer.

Every error is a problem with the request (bad quantity, a date in the past, a calendar without
working days, ...): safe to show to a client. Each carries a machine code (``code``), a human
message and optional details; the server maps them to a 4xx response once, by class.

>>> InvalidQuantityError("quantity must be > 0, got -5", field="quantity").to_dict()
{'error': 'invalid_quantity', 'message': 'quantity must be > 0, got -5', 'field': 'quantity'}
"""

from __future__ import annotations

from typing import ClassVar


class SchedulingError(Exception):
    """Base of every error raised deliberately by ``kubus.scheduling``."""

    code: ClassVar[str] = "scheduling_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details)

    def to_dict(self) -> dict[str, object]:
        """A flat JSON-ready body: ``{"error": code, "message": ..., **details}``."""
        return {"error": self.code, "message": self.message, **self.details}


class InvalidQuantityError(SchedulingError):
    """Zero, negative, non-finite, too large or too precise (> 3 decimals) quantity."""

    code = "invalid_quantity"


class DateInPastError(SchedulingError):
    """A requested date (or the end of the replenishment lead time) lies before today."""

    code = "date_in_past"


class InvalidDateError(SchedulingError):
    """A date that is not a date, or dates in an impossible order (e.g. a period ending first)."""

    code = "invalid_date"


class CalendarError(SchedulingError):
    """A factory calendar without working days or with weekday numbers outside 0..6."""

    code = "invalid_calendar"


class InvalidLeadTimeError(SchedulingError):
    """A negative, non-finite or absurdly long lead time."""

    code = "invalid_lead_time"


class InvalidScopeError(SchedulingError):
    """A scope of check that names element kinds in the wrong group (e.g. a receipt as a stock)."""

    code = "invalid_scope_of_check"


class InvalidParameterError(SchedulingError):
    """Any other argument outside its domain (empty substitution list, unknown rule, ...)."""

    code = "invalid_parameter"


class UnknownMaterialError(SchedulingError):
    """A request names a material/plant (or location/product) the caller supplied no data for."""

    code = "unknown_material"
